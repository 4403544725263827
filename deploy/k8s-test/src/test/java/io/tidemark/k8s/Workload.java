package io.tidemark.k8s;

import com.fasterxml.jackson.databind.node.ObjectNode;
import io.fabric8.kubernetes.api.model.PodTemplateSpec;
import io.fabric8.kubernetes.api.model.apps.Deployment;
import io.fabric8.kubernetes.api.model.batch.v1.Job;

import java.util.List;
import java.util.Map;
import java.util.stream.Stream;

/** An object that runs pods (a Deployment or a Job), by kind, name and pod template. */
record Workload(String kind, String name, String namespace, PodTemplateSpec template) {

    static List<Workload> all(List<ObjectNode> objects) {
        return Stream.concat(
                RenderedManifests.typed(objects, Deployment.class).stream()
                        .map(Workload::of),
                RenderedManifests.typed(objects, Job.class).stream()
                        .map(j -> new Workload("Job", j.getMetadata().getName(), j.getMetadata().getNamespace(), j.getSpec().getTemplate())))
                .toList();
    }

    static Workload of(Deployment deployment) {
        return new Workload("Deployment", deployment.getMetadata().getName(), deployment.getMetadata().getNamespace(),
                deployment.getSpec().getTemplate());
    }

    /** A name the kubelet could give one of its pods: a Deployment's has its ReplicaSet's hash, a Job's only a suffix. */
    String podName() {
        return name + (kind.equals("Deployment") ? "-5d4c8b9f7-x2k9q" : "-x2k9q");
    }

    Map<String, String> labels() {
        Map<String, String> labels = template.getMetadata().getLabels();
        return labels == null ? Map.of() : labels;
    }
}
