package main

import (
	"encoding/json"
	"os"
	"path/filepath"
	"reflect"
	"testing"
)

func TestPodNetworksKeepsFamiliesAndOrder(t *testing.T) {
	conf, order, err := podNetworks("fd00:10:244::/56, 10.244.0.0/16")
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(order, []string{"ipv6", "ipv4"}) {
		t.Errorf("order = %v", order)
	}
	if !conf.EnableIPv4 || !conf.EnableIPv6 || conf.Network != "10.244.0.0/16" || conf.IPv6Network != "fd00:10:244::/56" {
		t.Errorf("conf = %+v", conf)
	}
	if conf.Backend.Type != "host-gw" {
		t.Errorf("backend = %q", conf.Backend.Type)
	}
	single, order, err := podNetworks("fd00:10:244::/56")
	if err != nil || single.EnableIPv4 || !single.EnableIPv6 || len(order) != 1 {
		t.Errorf("IPv6-only: conf=%+v order=%v err=%v", single, order, err)
	}
	if _, _, err := podNetworks("not-a-cidr"); err == nil {
		t.Error("a malformed POD_SUBNET must fail")
	}
	if _, _, err := podNetworks(""); err == nil {
		t.Error("an empty POD_SUBNET must fail")
	}
}

func TestCniConfigHasOneRangePerFamilyInOrder(t *testing.T) {
	raw, err := cniConfig([]string{"ipv4", "ipv6"}, map[string]string{"ipv4": "10.244.1.0/24", "ipv6": "fd00:10:244:1::/64"}, 1500)
	if err != nil {
		t.Fatal(err)
	}
	var conf struct {
		Plugins []struct {
			Type        string
			HairpinMode bool
			IPAM        struct{ Ranges [][]struct{ Subnet string } }
		}
	}
	if err := json.Unmarshal(raw, &conf); err != nil {
		t.Fatal(err)
	}
	bridge := conf.Plugins[0]
	if bridge.Type != "bridge" || !bridge.HairpinMode {
		t.Errorf("bridge plugin = %+v", bridge)
	}
	got := []string{bridge.IPAM.Ranges[0][0].Subnet, bridge.IPAM.Ranges[1][0].Subnet}
	if !reflect.DeepEqual(got, []string{"10.244.1.0/24", "fd00:10:244:1::/64"}) {
		t.Errorf("ranges = %v", got)
	}
}

func TestReadLeaseWaitsForEveryFamily(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "subnet.env")
	old := subnetFilePath
	subnetFilePath = path
	defer func() { subnetFilePath = old }()

	if _, _, ok := readLease([]string{"ipv4"}); ok {
		t.Error("no subnet.env yet: not ready")
	}
	os.WriteFile(path, []byte("FLANNEL_NETWORK=10.244.0.0/16\nFLANNEL_SUBNET=10.244.1.1/24\nFLANNEL_MTU=1450\n"), 0o644)
	if _, _, ok := readLease([]string{"ipv4", "ipv6"}); ok {
		t.Error("IPv6 lease missing: not ready")
	}
	os.WriteFile(path, []byte("FLANNEL_SUBNET=10.244.1.1/24\nFLANNEL_IPV6_SUBNET=fd00:10:244:1::1/64\nFLANNEL_MTU=1450\n"), 0o644)
	subnets, mtu, ok := readLease([]string{"ipv4", "ipv6"})
	if !ok || subnets["ipv4"] != "10.244.1.0/24" || subnets["ipv6"] != "fd00:10:244:1::/64" || mtu != 1450 {
		t.Errorf("subnets=%v mtu=%d ok=%v", subnets, mtu, ok)
	}
}
