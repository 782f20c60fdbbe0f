// Command standin plays the images the program deploys on the local node,
// and serves them. The role comes from the name it runs under (nginx,
// nginx-ingress-controller, wait-shutdown, dumb-init, nacos-server, pause:
// the paths of the real images) or from its first argument:
//
//	standin spring | gateway | dns | client ...   (inside images)
//	standin registry -listen ADDR ...            (on the host)
//	standin dnsfeed -out FILE ...                (on the host)
//	standin statusfeed ...                       (on the host)
//
// Every role logs to standard error and exits 0 on a clean shutdown.
package main

import (
	"fmt"
	"log"
	"os"
	"path/filepath"
)

func main() {
	log.SetFlags(log.LstdFlags | log.Lmicroseconds)
	role, args := filepath.Base(os.Args[0]), os.Args[1:]
	if role == "standin" {
		if len(args) == 0 {
			fmt.Fprintln(os.Stderr, "usage: standin spring|gateway|dns|client|registry|dnsfeed|statusfeed [flags]")
			os.Exit(2)
		}
		role, args = args[0], args[1:]
	}
	log.SetPrefix("[" + role + "] ")
	var err error
	switch role {
	case "spring":
		err = runSpring(false)
	case "gateway":
		err = runSpring(true)
	case "nginx":
		err = runNginx(args)
	case "nginx-ingress-controller":
		err = runIngress(args)
	case "wait-shutdown":
		err = waitShutdown()
	case "dumb-init":
		err = dumbInit(args)
	case "nacos-server":
		err = runNacos()
	case "pause":
		err = runPause()
	case "dns":
		err = runDNS(args)
	case "dnsfeed":
		err = runDNSFeed(args)
	case "statusfeed":
		err = runStatusFeed(args)
	case "registry":
		err = runRegistry(args)
	case "client":
		err = runClient(args)
	default:
		err = fmt.Errorf("unknown role %q", role)
	}
	if err != nil {
		log.Printf("error: %v", err)
		os.Exit(1)
	}
}
