import { keyOf, type ProjectStatus } from "../api/index.js";
/**
 * The shapes of the Kubernetes objects Berth reads and writes, as the apiserver sends them
 * (only the fields Berth uses are typed), and a few pure helpers on them.
 */

/** The group, version and plural of the Project custom resource. */
export const PROJECTS = { group: "berth.dev", version: "v1alpha1", plural: "projects" } as const;

/** The finalizer that makes deleting a Project wait for its containers, network and ports to go. */
export const CLEANUP_FINALIZER = "berth.dev/cleanup";

/** Object metadata as the apiserver returns it. */
export interface KubeObjectMeta {
  name: string;
  namespace?: string;
  uid?: string;
  resourceVersion?: string;
  generation?: number;
  creationTimestamp?: string;
  deletionTimestamp?: string;
  labels?: Record<string, string>;
  annotations?: Record<string, string>;
  finalizers?: string[];
  [key: string]: unknown;
}

/** A Project custom resource as stored: spec as the apiserver defaulted it, status as last written. */
export interface ProjectObject {
  apiVersion: string;
  kind: string;
  metadata: KubeObjectMeta;
  spec?: Record<string, unknown>;
  status?: ProjectStatus;
}

/** A metav1.Status, as sent in a watch ERROR event or an error response. */
export interface StatusObject {
  kind?: string;
  status?: string;
  message?: string;
  reason?: string;
  code?: number;
}

/** One watch event. BOOKMARK objects carry only `metadata.resourceVersion`. */
export type WatchEvent =
  | { type: "ADDED" | "MODIFIED" | "DELETED"; object: ProjectObject }
  | { type: "BOOKMARK"; object: { metadata: { resourceVersion?: string } } }
  | { type: "ERROR"; object: StatusObject };

/** A page of a list: its items and the collection's resourceVersion. */
export interface ProjectPage {
  items: ProjectObject[];
  resourceVersion: string;
  /** Present when more pages follow. */
  continue?: string;
}

/** A coordination.k8s.io/v1 Lease (the fields leader election uses). */
export interface Lease {
  metadata: { name: string; namespace: string; resourceVersion?: string };
  spec: {
    holderIdentity?: string | null;
    leaseDurationSeconds?: number;
    acquireTime?: string | null;
    renewTime?: string | null;
    leaseTransitions?: number;
  };
}

/** A core/v1 Event about a Project. */
export interface KubeEvent {
  metadata: { name: string; namespace: string };
  involvedObject: {
    apiVersion: string;
    kind: string;
    name: string;
    namespace: string;
    uid?: string;
    resourceVersion?: string;
  };
  reason: string;
  message: string;
  type: "Normal" | "Warning";
  count: number;
  firstTimestamp: string;
  lastTimestamp: string;
  source: { component: string; host?: string };
  reportingComponent: string;
  reportingInstance: string;
}

/** `namespace/name` of an object. */
export function objectKey(o: { metadata: KubeObjectMeta }): string {
  return keyOf(o.metadata.namespace ?? "default", o.metadata.name);
}

/** Whether the object carries the cleanup finalizer. */
export function hasCleanupFinalizer(o: ProjectObject): boolean {
  return o.metadata.finalizers?.includes(CLEANUP_FINALIZER) === true;
}

/** Whether deletion of the object has begun (it waits for its finalizers). */
export function isDeleting(o: ProjectObject): boolean {
  return o.metadata.deletionTimestamp !== undefined && o.metadata.deletionTimestamp !== null;
}
