/**
 * The one mapping from local failures to JSON-RPC errors. A backend's own errors pass
 * through unchanged (code, message, data).
 */
import { ProtocolError, ProtocolErrorCode, SdkError, SdkErrorCode } from '@modelcontextprotocol/server';
import { ManagerError } from '../errors.js';

/** JSON-RPC codes for gateway-side failures (implementation-defined server error range). */
export const GATEWAY_ERROR_CODES = {
  SERVER_UNAVAILABLE: -32010,
  SERVER_BUSY: -32011,
  CALL_NOT_RETRIED: -32012,
} as const;

/** The wire code for a request that timed out or was cancelled (the SDK's local timeouts are not wire errors). */
const REQUEST_TIMEOUT = -32001;

/** An error the SDK's Protocol sends as-is: it reads `code`, `message` and `data`. */
export class WireError extends Error {
  constructor(
    readonly code: number,
    message: string,
    readonly data?: unknown,
  ) {
    super(message);
  }
}

const SDK_PREFIX = /^MCP error -?\d+: /;

export function toWireError(error: unknown): WireError {
  if (error instanceof WireError) return error;
  if (error instanceof ProtocolError) {
    // a backend's error: same code and data, without the SDK's "MCP error N:" prefix
    return new WireError(error.code, error.message.replace(SDK_PREFIX, ''), error.data);
  }
  if (ManagerError.is(error)) {
    const data = { code: error.code, ...error.data };
    switch (error.code) {
      case 'TOOL_NOT_FOUND':
      case 'SERVER_NOT_FOUND':
      case 'USAGE':
        return new WireError(ProtocolErrorCode.InvalidParams, error.message, data);
      case 'SERVER_UNAVAILABLE':
        return new WireError(GATEWAY_ERROR_CODES.SERVER_UNAVAILABLE, error.message, data);
      case 'SERVER_BUSY':
        return new WireError(GATEWAY_ERROR_CODES.SERVER_BUSY, error.message, data);
      case 'CALL_NOT_RETRIED':
        return new WireError(GATEWAY_ERROR_CODES.CALL_NOT_RETRIED, error.message, data);
      default:
        return new WireError(ProtocolErrorCode.InternalError, error.message, data);
    }
  }
  if (error instanceof SdkError && error.code === SdkErrorCode.RequestTimeout) return new WireError(REQUEST_TIMEOUT, error.message);
  if (error instanceof Error && error.name === 'AbortError') return new WireError(REQUEST_TIMEOUT, error.message);
  return new WireError(ProtocolErrorCode.InternalError, error instanceof Error ? error.message : String(error));
}

/** Did the request never reach the backend (its transport refused to send)? Then any call may go elsewhere. */
export function isNotDelivered(error: unknown): boolean {
  return ManagerError.is(error) && error.code === 'SERVER_UNAVAILABLE' && error.data.delivered === false;
}

/** Did the call fail because the instance went away (not because of the backend's answer)? */
export function isConnectionLost(error: unknown): boolean {
  return error instanceof SdkError && error.code === SdkErrorCode.ConnectionClosed;
}
