/** Options of kube mode (`berth run --kube`). */
export interface KubeRunOptions {
  /** `--namespace`: watch one namespace; all when undefined. */
  namespace: string | undefined;
  /** `--kubeconfig`; default $KUBECONFIG, ~/.kube/config, then in-cluster. */
  kubeconfig: string | undefined;
  /** `--leader-elect` (default on): only the holder of the Lease reconciles. */
  leaderElect: boolean;
  /** `--lease-namespace`; default the pod's namespace in a cluster, else "default". */
  leaseNamespace: string | undefined;
  /** `berth-<host-id or "default">`. */
  leaseName: string;
  leaseDurationMs: number;
  renewDeadlineMs: number;
  retryPeriodMs: number;
  /** `--watch-stall`: no watch event or bookmark for this long relists. */
  watchStallMs: number;
  /**
   * `--build-root`: relative `build.context`s and `hostPath`s of the custom resources resolve
   * against this directory (which is also an allowed root); without it they are refused.
   */
  buildRoot: string | undefined;
}

/** What kube mode's backend is built from: the kube flags and this host's id (`--host-id`). */
export type KubeBackendOptions = KubeRunOptions & { hostId: string | undefined };
