import protobuf from 'protobufjs';

// grpc.health.v1 (grpc/grpc-proto health.proto): the two messages Check uses.
const health = protobuf.Root.fromJSON({
  nested: {
    grpc: {
      nested: {
        health: {
          nested: {
            v1: {
              nested: {
                HealthCheckRequest: { fields: { service: { type: 'string', id: 1 } } },
                HealthCheckResponse: {
                  fields: { status: { type: 'ServingStatus', id: 1 } },
                  nested: {
                    ServingStatus: { values: { UNKNOWN: 0, SERVING: 1, NOT_SERVING: 2, SERVICE_UNKNOWN: 3 } },
                  },
                },
              },
            },
          },
        },
      },
    },
  },
});
const Request = health.lookupType('grpc.health.v1.HealthCheckRequest');
const Response = health.lookupType('grpc.health.v1.HealthCheckResponse');
export const ServingStatus = health.lookupEnum('grpc.health.v1.HealthCheckResponse.ServingStatus');
export const HEALTH_CHECK_METHOD = '/grpc.health.v1.Health/Check';

export const encodeHealthRequest = (service: string): Buffer =>
  Buffer.from(Request.encode(Request.create({ service })).finish());
/** An object, not the bare name: grpc-js takes a falsy request for a missing one. */
export const decodeHealthRequest = (b: Buffer): { service: string } =>
  Request.toObject(Request.decode(b), { defaults: true }) as { service: string };
export const encodeHealthResponse = (servingStatus: string): Buffer =>
  Buffer.from(
    Response.encode(Response.create({ status: ServingStatus.values[servingStatus] ?? 0 })).finish(),
  );
export const decodeHealthResponse = (b: Buffer): number =>
  (Response.toObject(Response.decode(b), { defaults: true }) as { status: number }).status;
