import { InvalidArgumentError } from '@feedmesh/errors';

/**
 * Request validation. Each check returns the value it accepted or throws an
 * InvalidArgumentError whose field is the proto field path the caller sent
 * (`events[3].engagement.post_id`), so the message tells them exactly what to fix.
 */

export const ID_PATTERN = /^[A-Za-z0-9_.:-]{1,64}$/;

export function requireId(value: string, field: string): string {
  if (value === '') throw new InvalidArgumentError(field, 'is required');
  if (value.length > 64)
    throw new InvalidArgumentError(field, `must be at most 64 characters, got ${value.length}`);
  if (!ID_PATTERN.test(value)) {
    throw new InvalidArgumentError(field, 'may contain only letters, digits and _ . : -');
  }
  return value;
}

/** An id that may be left empty. */
export function optionalId(value: string, field: string): string {
  return value === '' ? value : requireId(value, field);
}

export function requireIds(
  values: readonly string[],
  field: string,
  max: number,
): readonly string[] {
  requireMaxItems(values, field, max);
  values.forEach((value, i) => requireId(value, `${field}[${i}]`));
  return values;
}

export function requireMaxItems<T>(values: readonly T[], field: string, max: number): readonly T[] {
  if (values.length > max) {
    throw new InvalidArgumentError(field, `must have at most ${max} items, got ${values.length}`);
  }
  return values;
}

export function requireItems<T>(
  values: readonly T[],
  field: string,
  min: number,
  max: number,
): readonly T[] {
  if (values.length < min) {
    throw new InvalidArgumentError(
      field,
      min === 1 ? 'must not be empty' : `must have at least ${min} items`,
    );
  }
  return requireMaxItems(values, field, max);
}

export function requireRange(value: number, field: string, min: number, max: number): number {
  if (!Number.isFinite(value) || value < min || value > max) {
    throw new InvalidArgumentError(field, `must be between ${min} and ${max}, got ${value}`);
  }
  return value;
}

/** A page size: 1..max (0 is rejected: proto3 cannot tell "unset" from 0, so callers must say). */
export function requirePageSize(value: number, field: string, max = 100): number {
  return requireRange(value, field, 1, max);
}

export function requireText(
  value: string,
  field: string,
  limits: { min?: number; max: number },
): string {
  const min = limits.min ?? 0;
  if (value.length < min) {
    throw new InvalidArgumentError(
      field,
      min === 1 ? 'is required' : `must be at least ${min} characters`,
    );
  }
  if (value.length > limits.max) {
    throw new InvalidArgumentError(
      field,
      `must be at most ${limits.max} characters, got ${value.length}`,
    );
  }
  return value;
}

/**
 * An enum value decoded by ts-proto: unknown numbers arrive as themselves (or -1,
 * UNRECOGNIZED), so check membership. `allowUnspecified` accepts 0.
 */
export function requireEnum<E extends Record<string, string | number>>(
  value: number,
  enumObject: E,
  field: string,
  options: { allowUnspecified?: boolean } = {},
): number {
  const known = Object.values(enumObject).filter(
    (v): v is number => typeof v === 'number' && v >= 0,
  );
  if (!known.includes(value)) throw new InvalidArgumentError(field, `unknown value ${value}`);
  if (value === 0 && !options.allowUnspecified)
    throw new InvalidArgumentError(field, 'must be set');
  return value;
}
