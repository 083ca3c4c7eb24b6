import { describe, expect, it } from 'vitest';
import { RESOURCES } from '../../../api/resources.js';
import {
  etagMatches,
  negotiateOpenApiV2,
  OPENAPI_V2_PROTOBUF_CONTENT_TYPE,
  OpenApiV2Handler,
} from '../../../control-plane/apiserver/handlers/openapi-v2.js';

const JSON_FORM = { form: 'json', contentType: 'application/json' };
const PROTOBUF_FORM = { form: 'protobuf', contentType: OPENAPI_V2_PROTOBUF_CONTENT_TYPE };

describe('negotiateOpenApiV2', () => {
  it('answers kubectl’s Accept with protobuf, under a media type Go can parse', () => {
    expect(negotiateOpenApiV2('application/com.github.proto-openapi.spec.v2@v1.0+protobuf')).toEqual(
      PROTOBUF_FORM,
    );
    expect(PROTOBUF_FORM.contentType).not.toContain('@');
  });

  it('serves JSON for no Accept, wildcards and application/json', () => {
    expect(negotiateOpenApiV2(undefined)).toEqual(JSON_FORM);
    expect(negotiateOpenApiV2('*/*')).toEqual(JSON_FORM);
    expect(negotiateOpenApiV2('application/*')).toEqual(JSON_FORM);
    expect(negotiateOpenApiV2('application/json, */*')).toEqual(JSON_FORM);
    expect(
      negotiateOpenApiV2('application/com.github.proto-openapi.spec.v2@v1.0+protobuf, application/json'),
    ).toEqual(PROTOBUF_FORM);
  });

  it('honours quality values and refuses what it cannot produce', () => {
    expect(
      negotiateOpenApiV2(
        'application/com.github.proto-openapi.spec.v2@v1.0+protobuf;q=0.5, application/json',
      ),
    ).toEqual(JSON_FORM);
    expect(negotiateOpenApiV2('application/json;q=0, text/html')).toBeUndefined();
    expect(negotiateOpenApiV2('application/vnd.kubernetes.protobuf')).toBeUndefined();
  });
});

describe('etagMatches', () => {
  it('matches the quoted tag in a list, weak tags and *', () => {
    expect(etagMatches('"A"', '"A"')).toBe(true);
    expect(etagMatches('"B", W/"A"', '"A"')).toBe(true);
    expect(etagMatches('*', '"A"')).toBe(true);
    expect(etagMatches('"B"', '"A"')).toBe(false);
    expect(etagMatches('A', '"A"')).toBe(false);
    expect(etagMatches(undefined, '"A"')).toBe(false);
  });
});

describe('OpenApiV2Handler', () => {
  it('keeps one ETag, the SHA-512 of the JSON, for both forms', () => {
    const fromProtobuf = new OpenApiV2Handler(RESOURCES).bytes('protobuf');
    const handler = new OpenApiV2Handler(RESOURCES);
    const json = handler.bytes('json');
    expect(json.etag).toMatch(/^"[0-9A-F]{128}"$/);
    expect(fromProtobuf.etag).toBe(json.etag);
    expect(JSON.parse(json.body.toString()).swagger).toBe('2.0');
    const pb = handler.bytes('protobuf');
    expect(pb.etag).toBe(json.etag);
    expect(pb.body.equals(fromProtobuf.body)).toBe(true);
    expect(handler.bytes('json').body).toBe(json.body);
  });
});
