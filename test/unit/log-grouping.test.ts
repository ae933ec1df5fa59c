// The failure classes of the old Drain-style miner (issue #14), each on a small fixture of its
// own: which lines share a template.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { LogTemplateMiner } from '../../src/deploy/patterns/log-templates.js';

/** Template ids of `lines` mined by one fresh miner, and the templates by id. */
function mine(lines: string[], options = {}): { ids: number[]; templates: Map<number, string> } {
  const miner = new LogTemplateMiner(options);
  const ids = miner.resolve(lines.map((l) => miner.addMessage(l)));
  return { ids, templates: new Map(miner.templates().map((t) => [t.id, t.template])) };
}

describe('log grouping', () => {
  it('one field masked as <NUM>, <HEX> or <DUR> by its value is one variable, not three templates', () => {
    const { ids, templates } = mine([
      '00000001 session closed after 512 bytes',
      '0000000a session closed after 77 bytes',
      '0000001d session closed after 9 bytes',
      '00000002 session closed after 1 bytes',
    ]);
    assert.equal(new Set(ids).size, 1);
    assert.equal(templates.get(ids[0]), '<*> session closed after <NUM> bytes');
  });

  it('host:port is one variable whether it reads as an IP or a name', () => {
    const { ids } = mine([
      'proxy.example.com:5070 open through proxy gw.example.com:8080 HTTPS',
      '10.0.0.7:443 open through proxy gw.example.com:8080 HTTPS',
      'cdn.example.net:80 open through proxy gw.example.com:8080 HTTPS',
      '192.168.1.9:22 open through proxy gw.example.com:8080 HTTPS',
    ]);
    assert.equal(new Set(ids).size, 1);
  });

  it('quoted request lines keep their method: GET, POST and DELETE are three templates', () => {
    const lines = [
      '10.0.0.1 "GET /v2/a1b2/servers/detail HTTP/1.1" status: 200 len: 1893 time: 0.24',
      '10.0.0.1 "GET /v2/c3d4/servers/detail HTTP/1.1" status: 200 len: 1583 time: 0.19',
      '10.0.0.2 "GET /v2/e5f6/servers/x HTTP/1.1" status: 404 len: 1 time: 0.01',
      '10.0.0.1 "POST /v2/a1b2/os-server-external-events HTTP/1.1" status: 200 len: 380 time: 0.09',
      '10.0.0.3 "POST /v2/c3d4/os-server-external-events HTTP/1.1" status: 200 len: 380 time: 0.08',
      '10.0.0.1 "DELETE /v2/a1b2/servers/b9000564 HTTP/1.1" status: 204 len: 203 time: 0.21',
      '10.0.0.4 "DELETE /v2/c3d4/servers/c9000564 HTTP/1.1" status: 204 len: 203 time: 0.25',
    ];
    const { ids, templates } = mine(lines);
    assert.deepEqual(ids, [ids[0], ids[0], ids[0], ids[3], ids[3], ids[5], ids[5]]);
    assert.equal(new Set(ids).size, 3);
    assert.equal(
      templates.get(ids[0]),
      '<IP> "GET <PATH> HTTP/<NUM>.<NUM>" status: <NUM> len: <NUM> time: <NUM>',
    );
  });

  it('short messages differing in one word are different templates', () => {
    const { ids } = mine([
      'Ending TrustedInstaller initialization.',
      'Ending TrustedInstaller initialization.',
      'Ending TrustedInstaller finalization.',
      '[instance: 550e8400-e29b-41d4-a716-446655440000] VM Paused (Lifecycle Event)',
      '[instance: 123e4567-e89b-12d3-a456-426614174000] VM Resumed (Lifecycle Event)',
      '[instance: 550e8400-e29b-41d4-a716-446655440000] VM Paused (Lifecycle Event)',
    ]);
    assert.equal(ids[0], ids[1]);
    assert.notEqual(ids[0], ids[2]);
    assert.equal(ids[3], ids[5]);
    assert.notEqual(ids[3], ids[4]);
  });

  it('a token with a digit keeps its constant part: one-word lines are not all one <ID>', () => {
    const { ids, templates } = mine([
      'cancelNotification,index:0',
      'cancelNotification,index:3',
      'onExtend:1514038530000',
      'onExtend:1514038590000',
      'setLightsOn(true)',
      'eth0',
      'ssh2',
    ]);
    assert.equal(ids[0], ids[1]);
    assert.equal(ids[2], ids[3]);
    assert.equal(new Set(ids).size, 5);
    assert.equal(templates.get(ids[0]), 'cancelNotification,index:<NUM>');
    assert.equal(templates.get(ids[2]), 'onExtend:<NUM>');
    assert.equal(templates.get(ids[5]), 'eth0');
  });

  it('ids mixing letters and digits (blk_-42, job-4f3a9c) are variables', () => {
    const { ids, templates } = mine([
      'Receiving block blk_-1608999687919862906 src: /10.250.19.102:54106',
      'Receiving block blk_7503483334202473044 src: /10.250.10.6:40524',
      'Receiving block blk_-3544583377289625738 src: /10.251.111.130:49851',
    ]);
    assert.equal(new Set(ids).size, 1);
    assert.equal(templates.get(ids[0]), 'Receiving block blk_<NUM> src: <PATH>');
  });

  it('a bracketed IPv6 address with a port is one variable, whatever its hex groups look like', () => {
    const { ids, templates } = mine([
      'request from [fe80::aa94]:49001 took 2.5s',
      'request from [fe80::1234]:49002 took 0.3s',
      'request from [fe80::cbce]:51000 took 1s',
      'request from [2001:db8::7334]:443 took 12ms',
    ]);
    assert.equal(new Set(ids).size, 1);
    assert.equal(templates.get(ids[0]), 'request from [<IP> took <DUR>');
  });

  it('weekday and month names of a date are part of the date, not words that split an event', () => {
    const { ids } = mine([
      'connection from 24.54.76.216 () at Fri Jun 17 07:07:00 2005',
      'connection from 82.252.162.81 () at Sat Jun 18 02:08:10 2005',
      'connection from 222.33.90.199 (host.example.net) at Mon Jul 20 03:40:59 2005',
    ]);
    assert.equal(new Set(ids).size, 1);
  });

  it('the one word that varies in a worded message is its variable, however skewed its values', () => {
    // Five user names, one of them on most lines: the old rule split any position with few
    // values per line, so each user became its own template.
    const users = [...Array(40).fill('root'), 'uucp', 'ftp', 'git', 'mysql', 'sshd'];
    const { ids, templates } = mine(
      users.map((u, i) => `Failed password for ${u} from 10.0.${i}.9 port ${40000 + i} ssh2`),
    );
    assert.equal(new Set(ids).size, 1);
    assert.equal(templates.get(ids[0]), 'Failed password for <*> from <IP> port <NUM> ssh2');
  });

  it('a short message is named by its first word: each daemon that started is its own event', () => {
    const daemons = ['cupsd', 'cupsd', 'syslogd', 'klogd', 'portmap', 'hcid', 'sdpd', 'xinetd'];
    const { ids } = mine(daemons.map((d) => `${d} startup succeeded`));
    assert.equal(new Set(ids).size, 7);
    assert.equal(ids[0], ids[1]);
  });

  it('a later word of a short message with many rare values is its variable', () => {
    const services = ['chargen', 'daytime', 'echo', 'eklogin', 'ftp', 'klogin', 'kshell', 'ntalk', 'rsync'];
    const { ids, templates } = mine(services.map((s) => `removing ${s}`));
    assert.equal(new Set(ids).size, 1);
    assert.equal(templates.get(ids[0]), 'removing <*>');
  });

  it('a word that varies beside other varying words still tells events apart', () => {
    // One length, events mixed: the first word splits them (its values are few per line), and
    // within each event the user is a variable.
    const lines: string[] = [];
    for (const verb of ['opened', 'closed', 'locked', 'renewed', 'expired', 'moved']) {
      for (const user of ['ann', 'bob', 'cyd', 'dee', 'eve', 'fay'])
        lines.push(`${verb} session of ${user} cleanly`);
    }
    const { ids, templates } = mine(lines);
    assert.equal(new Set(ids).size, 6);
    assert.equal(templates.get(ids[0]), 'opened session of <*> cleanly');
  });

  it('a unit after a number is part of its value: 93.0 B and 5.2 KB are one variable', () => {
    const { ids, templates } = mine([
      'Block rdd_2_2 stored as bytes in memory (estimated size 850.0 B, free 320.3 KB)',
      'Block rdd_2_3 stored as bytes in memory (estimated size 5.2 KB, free 314.1 KB)',
      'Block rdd_2_4 stored as bytes in memory (estimated size 1.1 MB, free 2.0 MB)',
      'Block rdd_2_5 stored as bytes in memory (estimated size 740.0 B, free 1.2 GB)',
    ]);
    assert.equal(new Set(ids).size, 1);
    assert.equal(
      templates.get(ids[0]),
      'Block rdd_<NUM>_<NUM> stored as bytes in memory (estimated size <NUM> <*>, free <NUM> <*>)',
    );
  });

  it('a unit word without a number before it is a word that tells events apart', () => {
    const { ids } = mine(['cache size B full', 'cache size KB full', 'cache size MB full']);
    assert.equal(new Set(ids).size, 3);
  });

  it('a variable taking one token in some lines and several in others is one template', () => {
    const { ids, templates } = mine([
      'proxy.example.com:5070 close, 0 bytes sent, 0 bytes received, lifetime 00:01',
      'proxy.example.com:5070 close, 403 bytes sent, 426 bytes received, lifetime <1 sec',
      'cdn.example.net:443 close, 451 bytes sent, 18846 bytes (18.4 KB) received, lifetime <1 sec',
      '10.0.0.9:80 close, 1190 bytes (1.16 KB) sent, 1671 bytes (1.63 KB) received, lifetime 00:02',
      '10.0.0.9:80 close, 2933 bytes (2.86 KB) sent, 11721005 bytes (11.1 MB) received, lifetime 02:48',
    ]);
    assert.equal(new Set(ids).size, 1);
    assert.equal(templates.get(ids[0]), '<*> close, <*> sent, <*> received, lifetime <*>');
  });

  it('lines of different lengths stay apart when their constant words differ', () => {
    const { ids } = mine([
      'Failed password for root from 10.0.0.1 port 22 ssh2',
      'Failed password for invalid user admin from 10.0.0.2 port 22 ssh2',
      'authentication failure; logname= uid=0 euid=0 tty=ssh ruser= rhost=10.0.0.3',
      'authentication failure; logname= uid=0 euid=0 tty=ssh ruser= rhost=10.0.0.4  user=root',
    ]);
    assert.equal(new Set(ids).size, 4);
  });

  it('a message of fewer than three constant words is not merged across lengths', () => {
    const { ids } = mine(['ok 5', 'ok 5 6', 'ok 5 6 7']);
    assert.equal(new Set(ids).size, 3);
  });
});

describe('log grouping: memory cap', () => {
  it('drops the rarer half of the shapes at the cap and counts what it dropped', () => {
    const miner = new LogTemplateMiner({ maxShapes: 10 });
    for (let i = 0; i < 20; i++) miner.addMessage('heartbeat ok');
    const words = 'alpha bravo charlie delta echo foxtrot golf hotel india juliet kilo lima mike'.split(' ');
    // 13 × 13 one-line shapes of different token counts: far more than the cap.
    for (const a of words)
      for (const b of words) miner.addMessage(`${a} ${b} ${'x '.repeat(words.indexOf(a))}`);
    const dropped = miner.dropped;
    assert.ok(dropped.templates > 0, 'some shapes were dropped');
    assert.ok(dropped.lines >= dropped.templates);
    const templates = miner.templates();
    assert.ok(templates.length <= 10, `at most the cap of templates is kept (${templates.length})`);
    // The frequent shape survives every drop.
    assert.equal(templates[0].template, 'heartbeat ok');
    assert.equal(templates[0].count, 20);
    const kept = templates.reduce((n, t) => n + t.count, 0);
    assert.equal(kept + dropped.lines, miner.lines);
  });
});
