import { Counter, register } from 'prom-client';

function counter(name: string, help: string): Counter {
  return (register.getSingleMetric(name) as Counter | undefined) ?? new Counter({ name, help });
}

/** What the kubelet's garbage collection removed, by kind. */
export const gcMetrics = {
  containers: () => counter('skiff_kubelet_gc_containers_removed_total', 'Dead containers removed by GC'),
  sandboxes: () => counter('skiff_kubelet_gc_sandboxes_removed_total', 'Dead pod sandboxes removed by GC'),
  images: () => counter('skiff_kubelet_gc_images_removed_total', 'Unused images removed by image GC'),
  imageBytes: () =>
    counter('skiff_kubelet_gc_image_freed_bytes_total', 'Bytes of image size freed by image GC'),
  failures: () => counter('skiff_kubelet_gc_failures_total', 'Removals by GC that the runtime refused'),
};
