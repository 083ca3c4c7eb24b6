/** Why a container cannot start yet; the reason goes into its waiting state (ErrImagePull, CreateContainerConfigError...). */
export class WaitingError extends Error {
  constructor(
    readonly reason: string,
    message: string,
  ) {
    super(message);
  }
}
