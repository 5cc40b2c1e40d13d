// The training spec's augmentation and label smoothing as a user writes them (a --spec file, a
// web page's object) and as the CLI's flags give them: defaults, normalisation, and one line per
// mistake naming the field.
import { describe, expect, it } from 'vitest';
import { SimdnetError } from '../../src/engine/errors.js';
import { modelSpec } from '../../src/nn/models.js';
import { parseTrainingSpec } from '../../src/nn/model-spec.js';
import { augmentFlag, withTrainingFlags } from '../../src/cli/training-flags.js';

const mlp = modelSpec('mlp');
const parse = (extra: Record<string, unknown>) => parseTrainingSpec({ ...mlp, ...extra }, 'spec.json');

/** The one-line SimdnetError that `f` throws. */
function errorOf(f: () => unknown): string {
  try {
    f();
  } catch (error) {
    expect(error).toBeInstanceOf(SimdnetError);
    const message = (error as Error).message;
    expect(message).not.toContain('\n');
    return message;
  }
  throw new Error('no error thrown');
}

describe('augmentation in a training spec', () => {
  it('fills in the fields left out, and leaves out an augmentation with nothing on', () => {
    expect(parse({ augmentation: { translate: 2 } }).augmentation).toEqual({ translate: 2, rotate: 0, scale: 0, flipHorizontal: false });
    expect(parse({ augmentation: { translate: 2, rotate: 10, scale: 0.1, flipHorizontal: true } }).augmentation).toEqual({ translate: 2, rotate: 10, scale: 0.1, flipHorizontal: true });
    expect(parse({ augmentation: { flipHorizontal: true } }).augmentation).toEqual({ translate: 0, rotate: 0, scale: 0, flipHorizontal: true });
    expect('augmentation' in parse({ augmentation: {} })).toBe(false);
    expect('augmentation' in parse({ augmentation: { translate: 0, rotate: 0, flipHorizontal: false } })).toBe(false);
    expect('augmentation' in mlp).toBe(false);
  });

  it("survives its own output (a checkpoint's header is parsed again)", () => {
    const spec = parse({ augmentation: { translate: 3, scale: 0.25 }, loss: { type: 'categoricalCrossentropy', labelSmoothing: 0.1 } });
    expect(parseTrainingSpec(JSON.parse(JSON.stringify(spec)), 'checkpoint')).toEqual(spec);
  });

  const errors: [string, unknown, RegExp][] = [
    ['not an object', 3, /^spec\.json \('mlp'\): augmentation: augmentation must be an object such as \{"translate": 2, "rotate": 10\}, got 3$/],
    ['unknown field', { shear: 5 }, /augmentation: unknown field 'shear' \(expected translate, rotate, scale, flipHorizontal\)$/],
    ['translate too large', { translate: 5 }, /augmentation: translate must be an integer from 0 to 4, got 5$/],
    ['translate not whole', { translate: 1.5 }, /translate must be an integer from 0 to 4, got 1\.5$/],
    ['translate negative', { translate: -1 }, /translate must be an integer from 0 to 4, got -1$/],
    ['rotate too large', { rotate: 31 }, /rotate must be a number from 0 to 30, got 31$/],
    ['rotate a string', { rotate: '10' }, /rotate must be a number from 0 to 30, got "10"$/],
    ['scale too large', { scale: 0.31 }, /scale must be a number from 0 to 0\.3, got 0\.31$/],
    ['flip not boolean', { flipHorizontal: 'yes' }, /flipHorizontal must be true or false, got "yes"$/],
  ];
  for (const [what, augmentation, message] of errors) it(`refuses ${what} in one line`, () => expect(errorOf(() => parse({ augmentation }))).toMatch(message));
});

describe('label smoothing in a training spec', () => {
  it('is kept when above 0 and left out at 0', () => {
    expect(parse({ loss: { type: 'categoricalCrossentropy', labelSmoothing: 0.1 } }).loss).toEqual({ type: 'categoricalCrossentropy', labelSmoothing: 0.1 });
    expect(parse({ loss: { type: 'categoricalCrossentropy', labelSmoothing: 0 } }).loss).toEqual({ type: 'categoricalCrossentropy' });
  });

  const errors: [string, unknown, RegExp][] = [
    ['ε = 1', 1, /^spec\.json \('mlp'\): loss: labelSmoothing must be a number in \[0, 1\), got 1$/],
    ['ε < 0', -0.1, /labelSmoothing must be a number in \[0, 1\), got -0\.1$/],
    ['ε as a string', '0.1', /labelSmoothing must be a number in \[0, 1\), got "0\.1"$/],
  ];
  for (const [what, labelSmoothing, message] of errors) it(`refuses ${what} in one line`, () => expect(errorOf(() => parse({ loss: { type: 'categoricalCrossentropy', labelSmoothing } }))).toMatch(message));
  it('refuses another field in the loss', () => {
    expect(errorOf(() => parse({ loss: { type: 'categoricalCrossentropy', fromLogits: true } }))).toMatch(/loss must be \{"type": "categoricalCrossentropy"\} \(softmax cross-entropy\), optionally with "labelSmoothing", got/);
  });
});

describe('--augment and --label-smoothing', () => {
  it('read the fields they name, over the spec\'s own', () => {
    expect(augmentFlag('translate=2,rotate=10,scale=0.1,flip')).toEqual({ translate: 2, rotate: 10, scale: 0.1, flipHorizontal: true });
    expect(augmentFlag(' translate=1 , flip=false ')).toEqual({ translate: 1, flipHorizontal: false });
    const spec = withTrainingFlags(parse({ augmentation: { rotate: 5, flipHorizontal: true } }), 'translate=3', '0.2');
    expect(spec.augmentation).toEqual({ translate: 3, rotate: 5, scale: 0, flipHorizontal: true });
    expect(spec.loss).toEqual({ type: 'categoricalCrossentropy', labelSmoothing: 0.2 });
    const none = withTrainingFlags(spec, 'none', '0');
    expect(none).toEqual(mlp);
    expect(withTrainingFlags(mlp, undefined, undefined)).toBe(mlp);
  });

  const errors: [string, string | undefined, string | undefined, RegExp][] = [
    ['a value out of range', 'translate=7', undefined, /^--augment: translate must be an integer from 0 to 4, got 7$/],
    ['a rotation out of range', 'rotate=45', undefined, /^--augment: rotate must be a number from 0 to 30, got 45$/],
    ['an unknown key', 'shear=3', undefined, /^--augment: 'shear=3' is not one of translate=N, rotate=DEGREES, scale=F, flip, or none$/],
    ['a key without value', 'translate', undefined, /^--augment: 'translate' is not one of/],
    ['a value that is not a number', 'scale=big', undefined, /^--augment: 'scale=big' is not one of/],
    ['an empty list', ',', undefined, /^--augment expects a comma-separated list of translate=N/],
    ['ε = 1', undefined, '1', /^--label-smoothing expects a number in \[0, 1\), got '1'$/],
    ['ε not a number', undefined, 'lots', /^--label-smoothing expects a number in \[0, 1\), got 'lots'$/],
  ];
  for (const [what, augment, smoothing, message] of errors) it(`refuse ${what} in one line`, () => expect(errorOf(() => withTrainingFlags(mlp, augment, smoothing))).toMatch(message));
});
