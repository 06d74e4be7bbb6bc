// Builds the pause binary (pod sandbox process) of the offline node image.
module dualstack-conformance/cluster/go/pause

go 1.24.0
