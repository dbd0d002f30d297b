package lab

import (
	"embed"
	"fmt"
	"io/fs"
	"slices"
	"strings"
)

// Flows are multi-step paths through the shop in pagecheck's flow format
// (steps of visit, click, fill, wait and expect), with ${SHOP} standing for
// the shop's origin.
//
//go:embed flows/*.yaml
var flowFS embed.FS

// flowShopVar is replaced by the shop's origin in a flow.
const flowShopVar = "${SHOP}"

// FlowNames lists the built-in flows, sorted.
func FlowNames() []string {
	entries, err := fs.ReadDir(flowFS, "flows")
	if err != nil {
		return nil // cannot happen with a compiled-in directory
	}
	var names []string
	for _, e := range entries {
		names = append(names, strings.TrimSuffix(e.Name(), ".yaml"))
	}
	slices.Sort(names)
	return names
}

// FlowTemplate is a built-in flow with ${SHOP} left in place.
func FlowTemplate(name string) ([]byte, error) {
	if !slices.Contains(FlowNames(), name) {
		return nil, fmt.Errorf("lab: unknown flow %q (have %s)", name, strings.Join(FlowNames(), ", "))
	}
	return flowFS.ReadFile("flows/" + name + ".yaml")
}

// Flow is a built-in flow as YAML with this lab's shop origin filled in.
func (l *Lab) Flow(name string) ([]byte, error) {
	b, err := FlowTemplate(name)
	if err != nil {
		return nil, err
	}
	return []byte(strings.ReplaceAll(string(b), flowShopVar, l.shop.url)), nil
}
