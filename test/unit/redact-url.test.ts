import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { redactUrl } from '../../src/deploy/output/redact-url.js';

describe('redactUrl', () => {
  it('removes user and password from a URL', () => {
    assert.equal(redactUrl('http://admin:HUNTER2@host:9090/api'), 'http://***@host:9090/api');
    assert.equal(redactUrl('https://TOKEN123@example.com'), 'https://***@example.com');
  });
  it('cleans every URL inside a sentence and leaves the rest alone', () => {
    const text = 'Cannot reach http://a:HUNTER2@one:1 or https://b:SECRET@two/x; user@example.com is fine';
    const out = redactUrl(text);
    assert.doesNotMatch(out, /HUNTER2|SECRET/);
    assert.equal(out, 'Cannot reach http://***@one:1 or https://***@two/x; user@example.com is fine');
  });
  it('masks credential query parameters', () => {
    assert.equal(
      redactUrl('http://h/p?x=1&access_token=HUNTER2&apiKey=K9&sig=S#f'),
      'http://h/p?x=1&access_token=***&apiKey=***&sig=***#f',
    );
  });
  it('leaves URLs without secrets unchanged', () => {
    for (const u of ['http://127.0.0.1:9090', 'https://k8s.example.com:6443/', 'http://h/p?query=up'])
      assert.equal(redactUrl(u), u);
  });
  it('handles an @ in the password', () => {
    assert.doesNotMatch(redactUrl('http://admin:p%40ss@host/'), /p%40ss/);
    assert.equal(redactUrl('http://admin:p@ss@host/x'), 'http://***@host/x');
  });
});
