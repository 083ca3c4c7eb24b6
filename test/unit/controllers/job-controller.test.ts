import { describe, expect, it } from 'vitest';
import {
  failureBackoffMs,
  jobFinished,
  wantedActive,
} from '../../../control-plane/controllers/job-controller.js';

const job = (spec: { parallelism?: number; completions?: number; suspend?: boolean }) => ({
  spec: { template: {}, ...spec },
});

describe('job arithmetic', () => {
  it('runs up to parallelism pods, never more than the completions left', () => {
    expect(wantedActive(job({ parallelism: 2, completions: 5 }), 0)).toBe(2);
    expect(wantedActive(job({ parallelism: 2, completions: 5 }), 4)).toBe(1);
    expect(wantedActive(job({ parallelism: 2, completions: 5 }), 5)).toBe(0);
    expect(wantedActive(job({ parallelism: 3, completions: 5, suspend: true }), 0)).toBe(0);
  });

  it('work-queue jobs (no completions) start no pods once one succeeded', () => {
    expect(wantedActive(job({ parallelism: 3 }), 0)).toBe(3);
    expect(wantedActive(job({ parallelism: 3 }), 1)).toBe(0);
  });

  it('backs off exponentially after failures, capped at six minutes', () => {
    expect(failureBackoffMs(0, 10_000)).toBe(0);
    expect(failureBackoffMs(1, 10_000)).toBe(10_000);
    expect(failureBackoffMs(3, 10_000)).toBe(40_000);
    expect(failureBackoffMs(50, 10_000)).toBe(360_000);
  });

  it('is finished with a true Complete or Failed condition', () => {
    expect(jobFinished({ status: { conditions: [{ type: 'Complete', status: 'True' }] } })).toBe(true);
    expect(jobFinished({ status: { conditions: [{ type: 'Failed', status: 'False' }] } })).toBe(false);
    expect(jobFinished({})).toBe(false);
  });
});

describe('completed indexes', () => {
  it('round-trips ranges as upstream writes them', async () => {
    const { formatIndexes, parseIndexes } = await import(
      '../../../control-plane/controllers/completed-indexes.js'
    );
    expect(formatIndexes([5, 0, 1, 2, 7, 6, 9])).toBe('0-2,5-7,9');
    expect([...parseIndexes('0-2,5-7,9')]).toEqual([0, 1, 2, 5, 6, 7, 9]);
    expect(formatIndexes([])).toBe('');
    expect(parseIndexes(undefined).size).toBe(0);
  });
});
