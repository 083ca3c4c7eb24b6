import type { CriCallOptions, CriConnection } from './connection.js';
import type {
  AuthConfig,
  Image,
  ImageFsInfoResponse,
  ImageSpec,
  ImageStatusResponse,
  PullImageRequest,
} from './types.js';

const spec = (image: ImageSpec | string): ImageSpec => (typeof image === 'string' ? { image } : image);

/**
 * containerd 1.6 parses AuthConfig.serverAddress as a URL and rejects a bare
 * `host:port` ("first path segment in URL cannot contain colon"); it only compares the
 * host, so a scheme is added when there is none.
 */
export function withServerAddressScheme(auth: AuthConfig | null | undefined): AuthConfig | null {
  if (!auth) return null;
  const a = auth.serverAddress;
  if (!a || /^[a-z][a-z0-9+.-]*:\/\//i.test(a)) return auth;
  return { ...auth, serverAddress: `https://${a}` };
}

/** Typed client of runtime.v1.ImageService. Every call has a deadline; failures are CriErrors. */
export class ImageServiceClient {
  constructor(private readonly conn: CriConnection) {}

  private call<Res>(method: string, req: object, opts?: CriCallOptions, timeoutMs?: number): Promise<Res> {
    return this.conn.call<Res>('ImageService', method, req, opts, timeoutMs);
  }

  async listImages(filter?: ImageSpec | string, opts?: CriCallOptions): Promise<Image[]> {
    const req = { filter: filter === undefined ? null : { image: spec(filter) } };
    return (await this.call<{ images: Image[] }>('ListImages', req, opts)).images;
  }

  /** `image` is null in the response when the image is not present (not an error). */
  imageStatus(
    image: ImageSpec | string,
    verbose = false,
    opts?: CriCallOptions,
  ): Promise<ImageStatusResponse> {
    return this.call('ImageStatus', { image: spec(image), verbose }, opts);
  }

  /** Returns the image reference (id) the runtime resolved. Deadline: pullTimeoutMs. */
  async pullImage(req: PullImageRequest | string, opts?: CriCallOptions): Promise<string> {
    const body =
      typeof req === 'string'
        ? { image: { image: req } }
        : { ...req, auth: withServerAddressScheme(req.auth) };
    const res = await this.call<{ imageRef: string }>('PullImage', body, opts, this.conn.pullTimeoutMs);
    return res.imageRef;
  }

  async removeImage(image: ImageSpec | string, opts?: CriCallOptions): Promise<void> {
    await this.call('RemoveImage', { image: spec(image) }, opts);
  }

  imageFsInfo(opts?: CriCallOptions): Promise<ImageFsInfoResponse> {
    return this.call('ImageFsInfo', {}, opts);
  }
}
