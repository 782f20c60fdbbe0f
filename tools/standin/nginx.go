package main

// nginx, the ingress-nginx controller and their helpers.
//   - nginx (unprivileged image): listens on 8080, writes its pid to
//     /tmp/nginx.pid and creates its temp directories under /var/cache/nginx
//     at start (it fails on a read-only root without them); `nginx -s quit`
//     signals QUIT to the pid in the pid file; QUIT finishes open requests
//     (graceful), TERM and INT stop at once (nginx's documented signals).
//   - nginx-ingress-controller: health on --healthz-port /healthz, HTTP and
//     HTTPS ports open; it writes nginx.conf under /etc/nginx like the real
//     controller. It does not watch Ingresses (pods cannot reach the local
//     API server) and answers 404 like the controller's default backend.
//   - /wait-shutdown: sends TERM to the controller and waits for it to exit.
//   - dumb-init: runs its command (the image's entrypoint).
//   - pause: the sandbox process; exits on TERM/INT.

import (
	"flag"
	"fmt"
	"log"
	"net/http"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"syscall"
	"time"
)

const nginxPid = "/tmp/nginx.pid"

func runNginx(args []string) error {
	for i, a := range args {
		if a == "-s" && i+1 < len(args) {
			return nginxSignal(args[i+1])
		}
	}
	for _, d := range []string{"client_temp", "proxy_temp", "fastcgi_temp", "uwsgi_temp", "scgi_temp"} {
		if err := os.MkdirAll("/var/cache/nginx/"+d, 0o700); err != nil {
			return fmt.Errorf(`mkdir() "/var/cache/nginx/%s" failed: %w`, d, err)
		}
	}
	if err := os.WriteFile(nginxPid, []byte(strconv.Itoa(os.Getpid())+"\n"), 0o644); err != nil {
		return fmt.Errorf(`open() "%s" failed: %w`, nginxPid, err)
	}
	defer os.Remove(nginxPid)
	index, err := os.ReadFile("/usr/share/nginx/html/index.html")
	if err != nil {
		return err
	}
	l, err := listen("8080")
	if err != nil {
		return err
	}
	srv := serve(l, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/html")
		_, _ = w.Write(index) // a single-page app: every path serves index.html
	}))
	log.Print("nginx stand-in serving on 8080")
	sig := <-signals(syscall.SIGTERM, syscall.SIGINT, syscall.SIGQUIT)
	if sig == syscall.SIGQUIT {
		log.Print("QUIT: graceful shutdown")
		return shutdown(srv, time.Minute)
	}
	log.Printf("%s: fast shutdown", sig)
	return srv.Close()
}

func nginxSignal(name string) error {
	sigs := map[string]syscall.Signal{"quit": syscall.SIGQUIT, "stop": syscall.SIGTERM, "reload": syscall.SIGHUP, "reopen": syscall.SIGUSR1}
	sig, ok := sigs[name]
	if !ok {
		return fmt.Errorf("invalid option: -s %s", name)
	}
	b, err := os.ReadFile(nginxPid)
	if err != nil {
		return fmt.Errorf(`open() "%s" failed: %w`, nginxPid, err)
	}
	pid, err := strconv.Atoi(strings.TrimSpace(string(b)))
	if err != nil {
		return fmt.Errorf("invalid PID number in %s", nginxPid)
	}
	return syscall.Kill(pid, sig)
}

func runIngress(args []string) error {
	fs := flag.NewFlagSet("nginx-ingress-controller", flag.ContinueOnError)
	httpPort := fs.Int("http-port", 80, "")
	httpsPort := fs.Int("https-port", 443, "")
	healthz := fs.Int("healthz-port", 10254, "")
	// Flags the stand-in accepts and ignores, as the program passes them.
	for _, f := range []string{"publish-service", "election-id", "controller-class", "ingress-class", "configmap", "enable-metrics", "watch-ingress-without-class", "default-ssl-certificate"} {
		fs.String(f, "", "")
	}
	if err := fs.Parse(args); err != nil {
		return err
	}
	if err := mustWrite("/etc/nginx", "nginx.conf", "# written by the controller\n"); err != nil {
		return err
	}
	if err := mustWrite("/tmp/nginx", "nginx.pid", strconv.Itoa(os.Getpid())); err != nil {
		return err
	}
	notFound := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { http.Error(w, "default backend - 404", 404) })
	var servers []*http.Server
	for _, p := range []int{*httpPort, *httpsPort} {
		l, err := listen(strconv.Itoa(p))
		if err != nil {
			return err
		}
		servers = append(servers, serve(l, notFound))
	}
	hl, err := listen(strconv.Itoa(*healthz))
	if err != nil {
		return err
	}
	servers = append(servers, serve(hl, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "/healthz" {
			_, _ = w.Write([]byte("ok"))
			return
		}
		http.NotFound(w, r)
	})))
	log.Printf("ingress controller stand-in: http %d, https %d, healthz %d", *httpPort, *httpsPort, *healthz)
	<-signals()
	log.Print("shutting down")
	for _, s := range servers {
		_ = shutdown(s, 10*time.Second)
	}
	return nil
}

func waitShutdown() error {
	if err := syscall.Kill(1, syscall.SIGTERM); err != nil {
		return err
	}
	for {
		if err := syscall.Kill(1, 0); err != nil {
			return nil
		}
		time.Sleep(time.Second)
	}
}

func dumbInit(args []string) error {
	if len(args) > 0 && args[0] == "--" {
		args = args[1:]
	}
	if len(args) == 0 {
		return fmt.Errorf("dumb-init: no command")
	}
	path, err := exec.LookPath(args[0])
	if err != nil {
		return err
	}
	return syscall.Exec(path, args, os.Environ())
}

func runPause() error {
	s := signals()
	reap := signals(syscall.SIGCHLD)
	for {
		select {
		case <-s:
			return nil
		case <-reap:
			for {
				var ws syscall.WaitStatus
				if pid, _ := syscall.Wait4(-1, &ws, syscall.WNOHANG, nil); pid <= 0 {
					break
				}
			}
		}
	}
}
