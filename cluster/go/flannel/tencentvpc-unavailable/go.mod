// Stands in for the Tencent Cloud VPC SDK, which the Go module proxy does not serve. flanneld's main links
// every backend; this build runs host-gw only, and the Tencent VPC backend fails with a clear error.
module github.com/tencentcloud/tencentcloud-sdk-go/tencentcloud/vpc

go 1.24.0
