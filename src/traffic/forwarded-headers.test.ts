import { describe, expect, it } from 'vitest';
import { forwardRequestHeaders, forwardResponseHeaders } from './forwarded-headers.js';

describe('forwardRequestHeaders', () => {
  it('should drop hop-by-hop fields and those named by Connection (RFC 9110 section 7.6.1)', () => {
    const out = forwardRequestHeaders(
      [
        'Host',
        'a.example',
        'Connection',
        'keep-alive, X-Secret',
        'Keep-Alive',
        'timeout=5',
        'TE',
        'trailers',
        'X-Secret',
        '1',
        'Accept',
        '*/*',
      ],
      '10.0.0.1',
    );
    expect(out).toEqual([
      'Host',
      'a.example',
      'Accept',
      '*/*',
      'x-forwarded-for',
      '10.0.0.1',
      'x-forwarded-proto',
      'http',
      'x-forwarded-host',
      'a.example',
    ]);
  });

  it('should append the client to an existing X-Forwarded-For and keep the forwarded proto and host', () => {
    const out = forwardRequestHeaders(
      [
        'host',
        'b',
        'X-Forwarded-For',
        '1.1.1.1',
        'x-forwarded-proto',
        'https',
        'x-forwarded-host',
        'public.example',
      ],
      '127.0.0.1',
    );
    expect(out).toEqual([
      'host',
      'b',
      'x-forwarded-proto',
      'https',
      'x-forwarded-host',
      'public.example',
      'x-forwarded-for',
      '1.1.1.1, 127.0.0.1',
    ]);
  });
});

describe('forwardResponseHeaders', () => {
  it('should drop Transfer-Encoding, Connection and Keep-Alive of the upstream hop', () => {
    const raw = [
      'Content-Type',
      'text/plain',
      'Transfer-Encoding',
      'chunked',
      'Connection',
      'keep-alive',
      'Keep-Alive',
      'timeout=5',
    ].map((s) => Buffer.from(s));
    expect(forwardResponseHeaders(raw)).toEqual(['Content-Type', 'text/plain']);
  });
});
