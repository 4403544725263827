package io.tidemark.k8s;

import com.fasterxml.jackson.databind.node.ObjectNode;
import io.fabric8.kubernetes.api.model.PodTemplateSpec;
import io.fabric8.kubernetes.api.model.apps.Deployment;
import io.fabric8.kubernetes.api.model.batch.v1.Job;

import java.util.List;
import java.util.Map;
import java.util.stream.Stream;

/** An object that runs pods (a Deployment or a Job), by kind, name and pod template. */
record Workload(String kind, String name, PodTemplateSpec template) {

    static List<Workload> all(List<ObjectNode> objects) {
        return Stream.concat(
                RenderedManifests.typed(objects, Deployment.class).stream()
                        .map(d -> new Workload("Deployment", d.getMetadata().getName(), d.getSpec().getTemplate())),
                RenderedManifests.typed(objects, Job.class).stream()
                        .map(j -> new Workload("Job", j.getMetadata().getName(), j.getSpec().getTemplate())))
                .toList();
    }

    Map<String, String> labels() {
        Map<String, String> labels = template.getMetadata().getLabels();
        return labels == null ? Map.of() : labels;
    }
}
