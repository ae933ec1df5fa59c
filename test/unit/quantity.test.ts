import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import {
  canonicalQuantity,
  compareQuantities,
  formatBytes,
  formatCpu,
  parseQuantity,
  parseQuantityNumber,
  QuantityParseError,
  tryParseQuantityNumber,
} from '../../src/deploy/kube/quantity.js';

describe('parseQuantity: every suffix, exactly (nano-units as BigInt)', () => {
  const cases: Array<[string, bigint]> = [
    ['0', 0n],
    ['1', 1_000_000_000n],
    ['250m', 250_000_000n],
    ['1500m', 1_500_000_000n],
    ['12345678n', 12_345_678n],
    ['1n', 1n],
    ['5u', 5_000n],
    ['100k', 100_000n * 1_000_000_000n],
    ['2M', 2_000_000n * 1_000_000_000n],
    ['3G', 3_000_000_000n * 1_000_000_000n],
    ['1T', 10n ** 12n * 10n ** 9n],
    ['1P', 10n ** 15n * 10n ** 9n],
    ['1E', 10n ** 18n * 10n ** 9n],
    ['512Ki', 512n * 1024n * 10n ** 9n],
    ['128Mi', 128n * 1024n ** 2n * 10n ** 9n],
    ['1.5Gi', 1_610_612_736n * 10n ** 9n],
    ['2Ti', 2n * 1024n ** 4n * 10n ** 9n],
    ['1Pi', 1024n ** 5n * 10n ** 9n],
    ['1Ei', 1024n ** 6n * 10n ** 9n],
    ['1e3', 1000n * 10n ** 9n],
    ['1E3', 1000n * 10n ** 9n],
    ['1.5e-3', 1_500_000n],
    ['2e0', 2n * 10n ** 9n],
    ['0.5', 500_000_000n],
    ['.5', 500_000_000n],
    ['1.', 1_000_000_000n],
    ['+1', 1_000_000_000n],
    ['-250m', -250_000_000n],
    ['104857600', 104_857_600n * 10n ** 9n],
  ];
  for (const [text, nanos] of cases) {
    it(`${text} = ${nanos} nano`, () => {
      assert.equal(parseQuantity(text).nanos, nanos);
    });
  }

  it('rounds values finer than nano up, as the API server does', () => {
    assert.equal(parseQuantity('0.1n').nanos, 1n);
    assert.equal(parseQuantity('1.0000000001').nanos, 1_000_000_001n);
  });

  it('records the format', () => {
    assert.equal(parseQuantity('1Gi').format, 'BinarySI');
    assert.equal(parseQuantity('1G').format, 'DecimalSI');
    assert.equal(parseQuantity('1e9').format, 'DecimalExponent');
  });

  it('rejects what Kubernetes rejects', () => {
    for (const bad of ['', 'abc', '1.2.3', '1Kb', '1KiB', 'Mi', '1 Mi', '1ki', '1mi', '--1', '1e', '0x10']) {
      assert.throws(() => parseQuantity(bad), QuantityParseError, bad);
    }
  });

  it('converts to numbers in base units', () => {
    assert.equal(parseQuantityNumber('250m'), 0.25);
    assert.equal(parseQuantityNumber('12345678n'), 0.012345678);
    assert.equal(parseQuantityNumber('1.5Gi'), 1_610_612_736);
    assert.equal(parseQuantityNumber('512Ki'), 524_288);
    assert.equal(parseQuantityNumber(2), 2);
    assert.equal(tryParseQuantityNumber(undefined), undefined);
    assert.equal(tryParseQuantityNumber('nonsense'), undefined);
  });

  it('compares across formats', () => {
    assert.equal(compareQuantities('1Gi', '1G'), 1);
    assert.equal(compareQuantities('1000m', '1'), 0);
    assert.equal(compareQuantities('1e3', '1k'), 0);
    assert.equal(compareQuantities('100Mi', '1Gi'), -1);
  });
});

describe('formatting quantities back', () => {
  it('formats CPU readably', () => {
    assert.equal(formatCpu(0.25), '250m');
    assert.equal(formatCpu(1.5), '1.5');
    assert.equal(formatCpu(2), '2');
    assert.equal(formatCpu(0.012345678), '12.3m');
    assert.equal(formatCpu(0.0005), '500u');
    assert.equal(formatCpu(0.000000012), '12n');
    assert.equal(formatCpu(0), '0');
  });
  it('formats bytes in binary units', () => {
    assert.equal(formatBytes(536_870_912), '512Mi');
    assert.equal(formatBytes(1_610_612_736), '1.5Gi');
    assert.equal(formatBytes(524_288), '512Ki');
    assert.equal(formatBytes(100), '100');
    assert.equal(formatBytes(150 * 1024 * 1024), '150Mi');
  });
  it('canonicalises like the API server', () => {
    assert.equal(canonicalQuantity(parseQuantity('1.5')), '1500m');
    assert.equal(canonicalQuantity(parseQuantity('1000')), '1k');
    assert.equal(canonicalQuantity(parseQuantity('1024Mi')), '1Gi');
    assert.equal(canonicalQuantity(parseQuantity('1536Mi')), '1536Mi');
    assert.equal(canonicalQuantity(parseQuantity('12345678n')), '12345678n');
  });
});
