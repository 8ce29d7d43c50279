// Every HTTP call the harness, the demo and the benchmarks make to a lead goes through here,
// so that how a caller identifies itself to the lead's API is decided in one place: each
// request is signed (Mesh-Ed25519) with the operator key given to the constructor.
import { createApiSigner, type ApiSigner } from '../../packages/cluster-lead/src/api/client-auth.js';

export interface LeadApiResponse<T> {
  status: number;
  headers: Headers;
  body: T;
}

/** The operator a LeadApi speaks as; `now` is the clock it signs with (a test lead's clock). */
export interface LeadApiCredentials {
  operatorId: string;
  privateKey: Uint8Array;
  now?: () => number;
}

export class LeadApi {
  private readonly signer: ApiSigner | undefined;

  /** Without credentials only /health/* answers anything but 401. */
  constructor(
    readonly baseUrl: string,
    credentials?: LeadApiCredentials,
  ) {
    this.signer =
      credentials === undefined
        ? undefined
        : createApiSigner({ operatorId: credentials.operatorId, privateKey: credentials.privateKey, ...(credentials.now === undefined ? {} : { now: credentials.now }) });
  }

  /** Sends one request; the body (if any) as JSON. Network errors reject. */
  async request<T = unknown>(method: string, path: string, body?: unknown, extraHeaders: Record<string, string> = {}): Promise<LeadApiResponse<T>> {
    return this.requestText<T>(method, path, body === undefined ? undefined : JSON.stringify(body), extraHeaders);
  }

  /** As request(), with the body already JSON text (for bodies JSON.stringify cannot build, such as very deep nesting). */
  async requestText<T = unknown>(method: string, path: string, text: string | undefined, extraHeaders: Record<string, string> = {}): Promise<LeadApiResponse<T>> {
    const headers: Record<string, string> = { ...extraHeaders };
    const init: RequestInit = { method, headers };
    if (text !== undefined) {
      headers['content-type'] = 'application/json';
      init.body = text;
    }
    if (this.signer !== undefined) headers.authorization = await this.signer.authorization(method, path, text);
    const res = await fetch(`${this.baseUrl}${path}`, init);
    const answer = await res.text();
    let parsed: unknown = answer;
    try {
      parsed = answer === '' ? undefined : JSON.parse(answer);
    } catch {
      // not JSON: the caller gets the text
    }
    return { status: res.status, headers: res.headers, body: parsed as T };
  }

  /** GET that answers the body on 2xx and undefined otherwise (or when the lead is unreachable). */
  async getOk<T>(path: string): Promise<T | undefined> {
    try {
      const res = await this.request<T>('GET', path);
      return res.status >= 200 && res.status < 300 ? res.body : undefined;
    } catch {
      return undefined;
    }
  }

  get<T = unknown>(path: string): Promise<LeadApiResponse<T>> {
    return this.request<T>('GET', path);
  }

  post<T = unknown>(path: string, body: unknown, headers?: Record<string, string>): Promise<LeadApiResponse<T>> {
    return this.request<T>('POST', path, body, headers);
  }

  delete<T = unknown>(path: string): Promise<LeadApiResponse<T>> {
    return this.request<T>('DELETE', path);
  }
}
