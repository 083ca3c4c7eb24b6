import { CriConnection, type CriConnectionOptions } from './connection.js';
import { ImageServiceClient } from './image-service.js';
import { RuntimeServiceClient } from './runtime-service.js';

/** Both CRI services over one connection: the only way skiff reaches a container runtime. */
export class CriClient {
  readonly connection: CriConnection;
  readonly runtime: RuntimeServiceClient;
  readonly images: ImageServiceClient;

  constructor(opts: CriConnectionOptions = {}) {
    this.connection = new CriConnection(opts);
    this.runtime = new RuntimeServiceClient(this.connection);
    this.images = new ImageServiceClient(this.connection);
  }

  get endpoint(): string {
    return this.connection.endpoint;
  }

  /** Waits until the runtime's socket accepts a connection (SKIFF_CRI_UNAVAILABLE after timeoutMs). */
  waitForReady(timeoutMs?: number): Promise<void> {
    return this.connection.waitForReady(timeoutMs);
  }

  close(): void {
    this.connection.close();
  }
}
