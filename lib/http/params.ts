/** Path and query parameters, validated like bodies: strictly, with details. */
import { InvalidRequestError, NotFoundError } from '../errors.ts';
import type * as z from '../zod.ts';
import { detailsOf } from './middleware/json-body.ts';
import type { HttpEvent } from './types.ts';

const ID = /^[a-z0-9]{1,64}$/;

/** The `{id}` of the path; an id that cannot exist is simply not found. */
export function pathId(event: HttpEvent<unknown>): string {
  const id = event.pathParameters?.id ?? '';
  if (!ID.test(id)) throw new NotFoundError(`'${id.slice(0, 64)}' was not found`);
  return id;
}

/** The query string against a strict schema: unknown parameters are a 400. */
export function parseQuery<Schema extends z.ZodMiniType>(
  event: HttpEvent<unknown>,
  schema: Schema,
): z.infer<Schema> {
  const result = schema.safeParse(event.queryStringParameters ?? {});
  if (!result.success)
    throw new InvalidRequestError('the query string is not valid for this route', detailsOf(result.error));
  return result.data as z.infer<Schema>;
}
