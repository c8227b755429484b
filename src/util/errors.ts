// Errors that carry the HTTP status the Docker API answers them with. Any
// other thrown error becomes a 500 with its message.

export class ApiError extends Error {
  status: number;
  constructor(status: number, message: string) {
    super(message);
    this.status = status;
  }
}

export const badRequest = (msg: string): ApiError => new ApiError(400, msg);
export const notFound = (msg: string): ApiError => new ApiError(404, msg);
export const conflict = (msg: string): ApiError => new ApiError(409, msg);

export function statusOf(err: unknown): number {
  return err instanceof ApiError ? err.status : 500;
}

export function messageOf(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}
