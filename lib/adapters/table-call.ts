/**
 * One DynamoDB call against a named table: a failed condition is passed on as it is (the caller
 * decides what it means), any other failure becomes a 503 naming the table and what it could not do.
 */
import { ConditionalCheckFailedException } from '@aws-sdk/client-dynamodb';
import { UpstreamUnavailableError } from '../errors.ts';

export function tableCalls(table: string) {
  return async function send<T>(what: string, call: () => Promise<T>): Promise<T> {
    try {
      return await call();
    } catch (error) {
      if (error instanceof ConditionalCheckFailedException) throw error;
      const name = (error as { name?: string }).name ?? 'Error';
      throw new UpstreamUnavailableError('dynamodb', `${table} could not ${what} (${name})`, {
        cause: error,
        retryAfterSeconds: 1,
      });
    }
  };
}
