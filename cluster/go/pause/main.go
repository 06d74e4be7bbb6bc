// Command pause is the pod sandbox process: it runs as PID 1 of the pod, sleeps until
// SIGINT or SIGTERM (then exits 0) and reaps the zombie children it inherits.
package main

import (
	"fmt"
	"os"
	"os/signal"
	"syscall"
)

// version is set at build time with -X main.version=<tag>.
var version = "dev"

func main() {
	// Like upstream pause, -v prints the version and other arguments are ignored.
	if len(os.Args) > 1 && (os.Args[1] == "-v" || os.Args[1] == "--version") {
		fmt.Println("pause", version)
		return
	}
	sigs := make(chan os.Signal, 8)
	signal.Notify(sigs, syscall.SIGINT, syscall.SIGTERM, syscall.SIGCHLD)
	for sig := range sigs {
		if sig != syscall.SIGCHLD {
			os.Exit(0)
		}
		// Signals coalesce, so reap every child that has exited, without blocking.
		for {
			var status syscall.WaitStatus
			if pid, err := syscall.Wait4(-1, &status, syscall.WNOHANG, nil); pid <= 0 || err != nil {
				break
			}
		}
	}
}
