import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { type GrpcObject, loadPackageDefinition, type ServiceClientConstructor } from '@grpc/grpc-js';
import { loadSync } from '@grpc/proto-loader';

/**
 * proto/api.proto is read at run time from the repository (the build only compiles
 * TypeScript): ../proto from shim/*.ts, ../../proto from dist/shim/*.js.
 */
export function criProtoPath(): string {
  const here = dirname(fileURLToPath(import.meta.url));
  for (const up of ['..', join('..', '..')]) {
    const p = join(here, up, 'proto', 'api.proto');
    if (existsSync(p)) return p;
  }
  throw new Error(`proto/api.proto not found above ${here}`);
}

export interface CriServiceConstructors {
  RuntimeService: ServiceClientConstructor;
  ImageService: ServiceClientConstructor;
}

let loaded: CriServiceConstructors | undefined;

/** The runtime.v1 service client constructors, loaded once per process. */
export function criServices(): CriServiceConstructors {
  if (loaded) return loaded;
  const def = loadSync(criProtoPath(), { longs: String, enums: String, defaults: true, oneofs: true });
  const v1 = (loadPackageDefinition(def).runtime as GrpcObject).v1 as GrpcObject;
  loaded = {
    RuntimeService: v1.RuntimeService as ServiceClientConstructor,
    ImageService: v1.ImageService as ServiceClientConstructor,
  };
  return loaded;
}
