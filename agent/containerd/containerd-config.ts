export interface ContainerdConfigOptions {
  /** containerd's persistent root (images, snapshots). */
  root: string;
  /** containerd's state dir (sockets of shims, mounts); tmpfs on most hosts. */
  state: string;
  /** The gRPC (CRI) socket path. */
  socket: string;
  sandboxImage: string;
  cgroupDriver: 'cgroupfs' | 'systemd';
  cniConfDir: string;
  cniBinDir: string;
  /** certs.d directory with per-registry hosts.toml files. */
  registryConfigDir: string;
}

/**
 * The containerd configuration skiff needs. Two settings are not optional on hosts like the
 * test machines (see CONTAINERD-NOTES): `restrict_oom_score_adj`, because root may lack
 * CAP_SYS_RESOURCE, and a local sandbox image, because no registry may be reachable.
 */
export function renderContainerdConfig(o: ContainerdConfigOptions): string {
  const cri = 'plugins."io.containerd.grpc.v1.cri"';
  const q = (s: string) => JSON.stringify(s);
  return `version = 2
root = ${q(o.root)}
state = ${q(o.state)}
oom_score = 0

[grpc]
  address = ${q(o.socket)}

[ttrpc]
  address = ${q(`${o.socket}.ttrpc`)}

[debug]
  level = "warn"

[${cri}]
  sandbox_image = ${q(o.sandboxImage)}
  restrict_oom_score_adj = true
  stream_server_address = "127.0.0.1"
  stream_server_port = "0"
  enable_selinux = false
  netns_mounts_under_state_dir = true

[${cri}.containerd]
  snapshotter = "overlayfs"
  default_runtime_name = "runc"

[${cri}.containerd.runtimes.runc]
  runtime_type = "io.containerd.runc.v2"

[${cri}.containerd.runtimes.runc.options]
  SystemdCgroup = ${o.cgroupDriver === 'systemd'}

[${cri}.registry]
  config_path = ${q(o.registryConfigDir)}

[${cri}.cni]
  bin_dir = ${q(o.cniBinDir)}
  conf_dir = ${q(o.cniConfDir)}
`;
}
