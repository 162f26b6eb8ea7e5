import { describe, expect, it } from 'vitest';
import type { Metric } from '../spec/types.js';
import {
  assessMeasurement,
  formatMeasurementValue,
  measurementFromError,
  measurementFromValue,
} from './measurement.js';
import { verdict } from './providers/provider.js';

const metric = (successCondition?: string, failureCondition?: string): Metric => ({
  name: 'm',
  provider: { builtin: { metric: 'error-rate' } },
  ...(successCondition === undefined ? {} : { successCondition }),
  ...(failureCondition === undefined ? {} : { failureCondition }),
});

describe('assessMeasurement', () => {
  // [success, failure, value, phase]
  const rows: [string | undefined, string | undefined, unknown, string][] = [
    [undefined, undefined, 0.5, 'Successful'],
    ['result < 0.05', undefined, 0.01, 'Successful'],
    ['result < 0.05', undefined, 0.5, 'Failed'],
    [undefined, 'result > 0.1', 0.5, 'Failed'],
    [undefined, 'result > 0.1', 0.01, 'Successful'],
    ['result < 0.05', 'result > 0.1', 0.07, 'Inconclusive'],
    ['result < 0.05', 'result > 0.1', 0.01, 'Successful'],
    ['result < 0.05', 'result > 0.1', 0.5, 'Failed'],
    ['result >= 0', 'result >= 0', 1, 'Failed'],
    ['result >= 0.95', 'result < 0.95', Number.NaN, 'Inconclusive'],
    ['result >= 0.95', undefined, Number.NaN, 'Failed'],
    ['isNaN(result) || result >= 0.95', undefined, Number.NaN, 'Successful'],
    ['result >= 0.95', undefined, Number.POSITIVE_INFINITY, 'Successful'],
    [undefined, 'isInf(result)', Number.POSITIVE_INFINITY, 'Failed'],
    ['len(result) == 0 || result[0] >= 0.95', undefined, [], 'Successful'],
    ['len(result) > 0 && result[0] >= 0.95', undefined, [], 'Failed'],
    ['default(result, 0) < 0.05', undefined, null, 'Successful'],
    ['result < 0.05', undefined, null, 'Error'],
    ['result[0] > 1', undefined, [], 'Error'],
    ['missing > 1', undefined, 1, 'Error'],
    ['result', undefined, 1, 'Error'],
    ['result <=', undefined, 1, 'Error'],
    ['result == "ok"', undefined, 'ok', 'Successful'],
  ];
  it.each(rows)('should judge success=%s failure=%s on %o as %s', (success, failure, value, phase) => {
    expect(assessMeasurement(metric(success, failure), value).phase).toBe(phase);
  });

  it('should explain an Error', () => {
    expect(assessMeasurement(metric('result'), 1).message).toMatch(/expected bool, but got number/);
    expect(assessMeasurement(metric('result < 0.05'), 'x').message).toMatch(
      /mismatched types string and float/,
    );
  });
});

describe('formatMeasurementValue', () => {
  it.each([
    [0.012, '0.012'],
    [Number.NaN, 'NaN'],
    [Number.POSITIVE_INFINITY, '+Inf'],
    [Number.NEGATIVE_INFINITY, '-Inf'],
    [[0.9, 0.95], '[0.9,0.95]'],
    ['ok', 'ok'],
    [{ a: 1 }, '{"a":1}'],
    [null, ''],
  ])('should render %o as %s', (value, text) => {
    expect(formatMeasurementValue(value)).toBe(text);
  });
});

describe('measurementFromValue / measurementFromError', () => {
  it('should stamp and judge a value', () => {
    expect(measurementFromValue(metric('result < 1'), 0.5, 10, 20)).toEqual({
      phase: 'Successful',
      startedAt: 10,
      finishedAt: 20,
      value: '0.5',
    });
  });

  it('should record a provider error as phase Error with its message', () => {
    expect(measurementFromError(new Error('boom'), 1, 2)).toEqual({
      phase: 'Error',
      startedAt: 1,
      finishedAt: 2,
      message: 'boom',
    });
  });
});

describe('measurementFromValue (provider verdicts)', () => {
  it('should take the phase of a provider verdict and ignore the conditions', () => {
    const metric = { name: 'job', successCondition: 'result == 0', provider: { job: {} } };
    const m = measurementFromValue(metric, verdict('Failed', 1, 'exit code 1'), 10, 20);
    expect(m).toEqual({ phase: 'Failed', startedAt: 10, finishedAt: 20, value: '1', message: 'exit code 1' });
  });
});
