import { describe, expect, it } from 'vitest';
import { fromAttribute, fromItem, toAttribute, toItem } from '../../../lib/adapters/dynamo-item.ts';

describe('toItem and fromItem', () => {
  it('round-trip nested strings, numbers, booleans, nulls, lists and maps', () => {
    const record = {
      text: 'alice',
      empty: '',
      integer: 42,
      fraction: 1.5,
      negative: -3,
      yes: true,
      no: false,
      nothing: null,
      list: [1, 'two', [true, null], { key: 'value' }],
      map: { deep: { deeper: [{ x: 1 }, []], empty: {} } },
      emptyList: [],
    };

    expect(fromItem(toItem(record))).toEqual(record);
  });

  it('leaves undefined fields out of the item', () => {
    const item = toItem({ kept: 'a', dropped: undefined });

    expect(Object.keys(item)).toEqual(['kept']);
  });

  it('stores numbers as their decimal text', () => {
    expect(toAttribute(1.5)).toEqual({ N: '1.5' });
  });

  it('stores false as a boolean, not as null', () => {
    expect(fromAttribute(toAttribute(false))).toBe(false);
  });
});

describe('toAttribute', () => {
  it('refuses NaN', () => {
    expect(() => toAttribute(Number.NaN)).toThrow(TypeError);
  });

  it('refuses Infinity', () => {
    expect(() => toAttribute(Number.POSITIVE_INFINITY)).toThrow(TypeError);
  });

  it('refuses NaN nested in a map', () => {
    expect(() => toItem({ record: { durationSeconds: Number.NaN } })).toThrow(TypeError);
  });

  it('refuses a function', () => {
    expect(() => toAttribute(() => 1)).toThrow(TypeError);
  });
});

describe('fromAttribute', () => {
  it('refuses an attribute type hallpass never stores', () => {
    expect(() => fromAttribute({ SS: ['a', 'b'] })).toThrow(TypeError);
  });
});
