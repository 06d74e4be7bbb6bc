// flannel-node is the entrypoint of the offline cluster's CNI DaemonSet. kind hands the CNI manifest only
// the pod subnet list (POD_SUBNET, one CIDR per family), and flannel's own CNI plugin is not served by the
// Go module proxy, so this program does the two jobs around flanneld:
//  1. render flanneld's net-conf.json (host-gw backend, the families present in POD_SUBNET);
//  2. once flanneld has written the node's lease (subnet.env), write a CNI config for the standard
//     bridge + host-local + portmap plugins with the node's pod CIDR of each family.
//
// It runs flanneld as a child, forwards SIGINT/SIGTERM to it and exits with its status.
package main

import (
	"encoding/json"
	"fmt"
	"log"
	"net"
	"os"
	"os/exec"
	"os/signal"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"time"
)

const (
	netConfPath = "/etc/kube-flannel/net-conf.json"

	cniConfPath = "/etc/cni/net.d/10-flannel.conflist"
	flanneld    = "/flanneld"
)

// subnetFilePath is where flanneld writes the node's lease (a variable so tests can point it elsewhere).
var subnetFilePath = "/run/flannel/subnet.env"

// netConf is flanneld's network configuration (see flannel's pkg/subnet config).
type netConf struct {
	EnableIPv4  bool
	EnableIPv6  bool
	Network     string `json:",omitempty"`
	IPv6Network string `json:",omitempty"`
	Backend     struct{ Type string }
}

// podNetworks splits kind's POD_SUBNET ("10.244.0.0/16,fd00:10:244::/56", either order) by family,
// keeping the order so the primary family's range comes first in the CNI config.
func podNetworks(podSubnet string) (conf netConf, order []string, err error) {
	for _, s := range strings.Split(podSubnet, ",") {
		s = strings.TrimSpace(s)
		if s == "" {
			continue
		}
		ip, ipnet, perr := net.ParseCIDR(s)
		if perr != nil {
			return conf, nil, fmt.Errorf("POD_SUBNET entry %q: %v", s, perr)
		}
		if ip.To4() != nil {
			conf.EnableIPv4, conf.Network = true, ipnet.String()
			order = append(order, "ipv4")
		} else {
			conf.EnableIPv6, conf.IPv6Network = true, ipnet.String()
			order = append(order, "ipv6")
		}
	}
	if len(order) == 0 {
		return conf, nil, fmt.Errorf("POD_SUBNET is empty")
	}
	conf.Backend.Type = "host-gw"
	return conf, order, nil
}

func writeFileAtomic(path string, data []byte) error {
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		return err
	}
	tmp := path + ".tmp"
	if err := os.WriteFile(tmp, data, 0o644); err != nil {
		return err
	}
	return os.Rename(tmp, path)
}

// readLease parses flanneld's subnet.env; ok is false until every family in order has its subnet.
func readLease(order []string) (subnets map[string]string, mtu int, ok bool) {
	raw, err := os.ReadFile(subnetFilePath)
	if err != nil {
		return nil, 0, false
	}
	env := map[string]string{}
	for _, line := range strings.Split(string(raw), "\n") {
		if k, v, found := strings.Cut(strings.TrimSpace(line), "="); found {
			env[k] = v
		}
	}
	keys := map[string]string{"ipv4": "FLANNEL_SUBNET", "ipv6": "FLANNEL_IPV6_SUBNET"}
	subnets = map[string]string{}
	for _, fam := range order {
		_, ipnet, err := net.ParseCIDR(env[keys[fam]])
		if err != nil {
			return nil, 0, false
		}
		subnets[fam] = ipnet.String()
	}
	mtu, _ = strconv.Atoi(env["FLANNEL_MTU"])
	return subnets, mtu, true
}

func cniConfig(order []string, subnets map[string]string, mtu int) ([]byte, error) {
	ranges := [][]map[string]string{}
	for _, fam := range order {
		ranges = append(ranges, []map[string]string{{"subnet": subnets[fam]}})
	}
	bridge := map[string]any{
		"type":             "bridge",
		"bridge":           "cni0",
		"isGateway":        true,
		"isDefaultGateway": true,
		"ipMasq":           false, // flanneld masquerades traffic leaving the pod network
		"hairpinMode":      true,  // a pod must reach itself through its own Service
		"ipam":             map[string]any{"type": "host-local", "ranges": ranges},
	}
	if mtu > 0 {
		bridge["mtu"] = mtu
	}
	return json.MarshalIndent(map[string]any{
		"cniVersion": "1.0.0",
		"name":       "flannel",
		"plugins": []any{
			bridge,
			map[string]any{"type": "portmap", "capabilities": map[string]bool{"portMappings": true}},
		},
	}, "", "  ")
}

// Routing between pods and nodes needs forwarding and bridged traffic seen by iptables (kube-proxy).
func enableForwarding() {
	for _, p := range []string{
		"/proc/sys/net/ipv4/ip_forward",
		"/proc/sys/net/ipv6/conf/all/forwarding",
		"/proc/sys/net/bridge/bridge-nf-call-iptables",
		"/proc/sys/net/bridge/bridge-nf-call-ip6tables",
	} {
		if err := os.WriteFile(p, []byte("1"), 0o644); err != nil {
			log.Printf("cannot set %s: %v", p, err)
		}
	}
}

func main() {
	log.SetFlags(log.LstdFlags | log.Lmsgprefix)
	log.SetPrefix("flannel-node: ")
	conf, order, err := podNetworks(os.Getenv("POD_SUBNET"))
	if err != nil {
		log.Fatal(err)
	}
	data, _ := json.Marshal(conf)
	if err := writeFileAtomic(netConfPath, data); err != nil {
		log.Fatal(err)
	}
	log.Printf("net-conf: %s", data)
	enableForwarding()

	args := append([]string{"--kube-subnet-mgr", "--ip-masq", "--net-config-path=" + netConfPath, "--subnet-file=" + subnetFilePath}, os.Args[1:]...)
	cmd := exec.Command(flanneld, args...)
	cmd.Stdout, cmd.Stderr = os.Stdout, os.Stderr
	if err := cmd.Start(); err != nil {
		log.Fatalf("starting flanneld: %v", err)
	}
	signals := make(chan os.Signal, 1)
	signal.Notify(signals, syscall.SIGINT, syscall.SIGTERM)
	exited := make(chan error, 1)
	go func() { exited <- cmd.Wait() }()

	written := ""
	tick := time.NewTicker(500 * time.Millisecond)
	defer tick.Stop()
	for {
		select {
		case s := <-signals:
			_ = cmd.Process.Signal(s)
		case err := <-exited:
			if exitErr, ok := err.(*exec.ExitError); ok {
				os.Exit(exitErr.ExitCode())
			}
			if err != nil {
				log.Fatalf("flanneld: %v", err)
			}
			return
		case <-tick.C:
			subnets, mtu, ok := readLease(order)
			if !ok {
				continue
			}
			cfg, err := cniConfig(order, subnets, mtu)
			if err != nil {
				log.Fatal(err)
			}
			if string(cfg) != written {
				if err := writeFileAtomic(cniConfPath, cfg); err != nil {
					log.Printf("writing %s: %v", cniConfPath, err)
					continue
				}
				written = string(cfg)
				log.Printf("wrote %s for %v", cniConfPath, subnets)
			}
		}
	}
}
