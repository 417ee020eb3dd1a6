package archive

import (
	"os/exec"
	"strings"
	"testing"
)

// TestOnlySealImportsAge guards an architecture rule: key handling and
// encryption live in internal/seal alone, so no other package can misuse age.
func TestOnlySealImportsAge(t *testing.T) {
	out, err := exec.Command("go", "list", "-f", `{{.ImportPath}}: {{join .Imports " "}} {{join .TestImports " "}}`, "sori/...").CombinedOutput()
	if err != nil {
		t.Fatalf("go list: %v\n%s", err, out)
	}
	for _, line := range strings.Split(strings.TrimSpace(string(out)), "\n") {
		pkg, imports, _ := strings.Cut(line, ": ")
		if pkg == "sori/internal/seal" {
			continue
		}
		for _, imp := range strings.Fields(imports) {
			if imp == "filippo.io/age" || strings.HasPrefix(imp, "filippo.io/age/") {
				t.Errorf("%s imports %s; only internal/seal may", pkg, imp)
			}
		}
	}
}
