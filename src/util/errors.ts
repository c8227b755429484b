// Errors that carry the HTTP status the Docker API answers them with. Any
// other thrown error becomes a 500 with its message.

export class ApiError extends Error {
  status: number;
  /** Fields the error's JSON body carries beside `message`. */
  detail: Record<string, unknown>;
  constructor(status: number, message: string, detail: Record<string, unknown> = {}) {
    super(message);
    this.status = status;
    this.detail = detail;
  }
}

export const badRequest = (msg: string, detail?: Record<string, unknown>): ApiError => new ApiError(400, msg, detail);
export const notFound = (msg: string): ApiError => new ApiError(404, msg);
export const conflict = (msg: string): ApiError => new ApiError(409, msg);

export function statusOf(err: unknown): number {
  return err instanceof ApiError ? err.status : 500;
}

export function messageOf(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}
