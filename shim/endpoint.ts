/** containerd's CRI socket on a standard install. */
export const DEFAULT_CRI_ENDPOINT = 'unix:///run/containerd/containerd.sock';
