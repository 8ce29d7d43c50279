// Every HTTP call the harness, the demo and the benchmarks make to a lead goes through here,
// so that how a caller identifies itself to the lead's API is decided in one place.

export interface LeadApiResponse<T> {
  status: number;
  headers: Headers;
  body: T;
}

export class LeadApi {
  constructor(readonly baseUrl: string) {}

  /** Sends one request; the body (if any) as JSON. Network errors reject. */
  async request<T = unknown>(method: string, path: string, body?: unknown): Promise<LeadApiResponse<T>> {
    const init: RequestInit = { method };
    if (body !== undefined) {
      init.headers = { 'content-type': 'application/json' };
      init.body = JSON.stringify(body);
    }
    const res = await fetch(`${this.baseUrl}${path}`, init);
    const text = await res.text();
    let parsed: unknown = text;
    try {
      parsed = text === '' ? undefined : JSON.parse(text);
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

  post<T = unknown>(path: string, body: unknown): Promise<LeadApiResponse<T>> {
    return this.request<T>('POST', path, body);
  }
}
