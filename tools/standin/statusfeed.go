package main

// statusfeed runs on the host and writes the statuses that, on ACK, the
// cloud controller manager and the ingress controller write, which nothing
// on the local node writes otherwise. The Kubernetes provider's await
// waits for both (Pulumi Registry, kubernetes core/v1 Service: "if the
// Service is of type LoadBalancer, waits until the status has an address";
// networking.k8s.io/v1 Ingress: "waits until Ingress.status.loadBalancer
// has an address"):
//   - a Service of type LoadBalancer gets its ClusterIP as its load
//     balancer address (ACK's cloud controller manager would write the
//     CLB's address);
//   - an Ingress gets the address of the ingress controller's Service (the
//     Service labelled app.kubernetes.io/component=controller; one
//     controller a cluster), as ingress-nginx does with --publish-service. The controller's stand-in runs in a pod that
//     cannot reach the API server's loopback address, so it cannot write
//     it itself.

import (
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"log"
	"net/url"

	"ack-platform/tools/standin/kubeapi"
)

func runStatusFeed(args []string) error {
	fs := flag.NewFlagSet("statusfeed", flag.ContinueOnError)
	api := apiFlags(fs)
	if err := fs.Parse(args); err != nil {
		return err
	}
	client, err := api.client()
	if err != nil {
		return err
	}
	return everySecond(func() error {
		if err := feedStatuses(context.Background(), client); err != nil {
			log.Print(err)
		}
		return nil
	})
}

func feedStatuses(ctx context.Context, api *kubeapi.Client) error {
	svcs, err := api.Services(ctx)
	if err != nil {
		return err
	}
	controller := ""
	for _, s := range svcs {
		if s.Metadata.Labels["app.kubernetes.io/component"] == "controller" && s.Spec.ClusterIP != "" && s.Spec.ClusterIP != "None" {
			controller = s.Spec.ClusterIP
		}
		if s.Spec.Type != "LoadBalancer" || len(s.Status.LoadBalancer.Ingress) > 0 {
			continue
		}
		path := fmt.Sprintf("/api/v1/namespaces/%s/services/%s", url.PathEscape(s.Metadata.Namespace), url.PathEscape(s.Metadata.Name))
		if err := api.PatchStatus(ctx, path, addressPatch(s.Spec.ClusterIP)); err != nil {
			return err
		}
		log.Printf("service %s/%s: load balancer address %s", s.Metadata.Namespace, s.Metadata.Name, s.Spec.ClusterIP)
	}
	if controller == "" {
		return nil // no ingress controller yet: its Ingresses wait for it
	}
	ings, err := api.Ingresses(ctx)
	if err != nil {
		return err
	}
	for _, ing := range ings {
		if len(ing.Status.LoadBalancer.Ingress) > 0 {
			continue
		}
		path := fmt.Sprintf("/apis/networking.k8s.io/v1/namespaces/%s/ingresses/%s", url.PathEscape(ing.Metadata.Namespace), url.PathEscape(ing.Metadata.Name))
		if err := api.PatchStatus(ctx, path, addressPatch(controller)); err != nil {
			return err
		}
		log.Printf("ingress %s/%s (class %s): address %s", ing.Metadata.Namespace, ing.Metadata.Name, ing.Spec.IngressClassName, controller)
	}
	return nil
}

func addressPatch(ip string) []byte {
	b, _ := json.Marshal(map[string]any{"status": map[string]any{"loadBalancer": map[string]any{"ingress": []any{map[string]string{"ip": ip}}}}})
	return b
}
