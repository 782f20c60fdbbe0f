package summary

import (
	"fmt"
	"slices"
	"strings"
)

const (
	// DefaultLimit keeps a comment under GitHub's 65,536-character limit
	// with room for the hidden marker and footer that the workflow adds.
	DefaultLimit = 60000
	// hardLimit bounds the part that is never folded (title, counts,
	// flagged items) when it alone outgrows the budget.
	hardLimit = 64000

	maxErrors       = 5
	maxErrorLen     = 600
	maxReasonsShown = 5
	maxWarnings     = 10
	maxWarningLen   = 300
)

// Markdown renders the report within limit bytes (bytes, not characters, so
// the count is conservative). The title, counts and flagged items come first
// and are kept; when space runs short the per-resource details are cut first,
// then the image table, each with a "... N more ... not shown" line.
func (r Report) Markdown(limit int) string {
	if limit <= 0 {
		limit = DefaultLimit
	}
	head := r.head()

	// The detail section needs at least its fallback line; reserve it so
	// the image table cannot starve it completely.
	detailRows := r.detailRows()
	reserve := len(moreLine(len(detailRows), "resources"))
	images := fitRows(r.imageHeader(), r.imageRows(), "\n", "image changes", limit-len(head)-reserve)
	details := fitRows(r.detailHeader(), detailRows, "\n</details>\n", "resources", limit-len(head)-len(images))
	return head + images + details
}

// head renders the title line and the flagged items.
func (r Report) head() string {
	var b strings.Builder
	title := "Pulumi preview"
	if r.Stack != "" {
		title += " for " + code(r.Stack)
	}
	fmt.Fprintf(&b, "### %s: %s\n\n", title, r.countsLine())
	if !r.HasChanges() && len(r.Errors) == 0 {
		b.WriteString("No changes.\n\n")
	}
	b.WriteString(r.credentialLines())

	lines := r.flaggedLines()
	if len(lines) == 0 {
		b.WriteString(r.warningLines())
		return b.String()
	}
	b.WriteString("#### ⚠️ Needs attention\n\n")
	for i, line := range lines {
		if b.Len()+len(line)+len(moreLine(len(lines), "flagged items")) > hardLimit {
			b.WriteString(moreLine(len(lines)-i, "flagged items"))
			break
		}
		b.WriteString(line)
	}
	b.WriteString("\n")
	b.WriteString(r.warningLines())
	return b.String()
}

// credentialLines says which Kubernetes providers only renew their
// credential, so that a reviewer does not take them for a change.
func (r Report) credentialLines() string {
	if len(r.CredentialRefreshes) == 0 {
		return ""
	}
	var b strings.Builder
	for _, res := range r.CredentialRefreshes {
		fmt.Fprintf(&b, "ℹ️ **Credential refresh**: %s gets a fresh cluster credential (only `kubeconfig` changes). "+
			"It changes no cluster object and is not counted as an update.\n", resourceRef(res))
	}
	b.WriteString("\n")
	return b.String()
}

// warningLines lists the engine's distinct warnings, most recent runs
// repeat the same ones, so each is shown once with its count.
func (r Report) warningLines() string {
	if len(r.Warnings) == 0 {
		return ""
	}
	var b strings.Builder
	fmt.Fprintf(&b, "#### Warnings (%d)\n\n", len(r.Warnings))
	for i, w := range r.Warnings {
		if i == maxWarnings {
			fmt.Fprintf(&b, "- ... %d more warnings in the workflow log\n", len(r.Warnings)-i)
			break
		}
		line := "- "
		if w.Resource != "" {
			parts := strings.SplitN(w.Resource, " ", 2)
			line += code(parts[0]) + " " + code(parts[len(parts)-1]) + ": "
		}
		line += cell(truncate(w.Message, maxWarningLen))
		if w.Count > 1 {
			line += fmt.Sprintf(" (×%d)", w.Count)
		}
		b.WriteString(line + "\n")
	}
	b.WriteString("\n")
	return b.String()
}

func (r Report) countsLine() string {
	var parts []string
	for _, op := range mainOps {
		parts = append(parts, fmt.Sprintf("%d %s", r.Counts[op], op))
	}
	var others []string
	for op, n := range r.Counts {
		if n > 0 && !slices.Contains(mainOps, op) {
			others = append(others, fmt.Sprintf("%d %s", n, op))
		}
	}
	slices.Sort(others)
	return strings.Join(append(parts, others...), " · ")
}

// flaggedLines lists what a reviewer must not miss: replacements,
// deletions, protected resources, corrupt state and errors.
func (r Report) flaggedLines() []string {
	var lines []string
	if len(r.Errors) > 0 {
		var b strings.Builder
		fmt.Fprintf(&b, "- **ERRORS**: the preview reported %d error(s); the plan below may be incomplete.\n", len(r.Errors))
		b.WriteString("  ```\n")
		for i, msg := range r.Errors {
			if i == maxErrors {
				fmt.Fprintf(&b, "  ... %d more errors in the workflow log\n", len(r.Errors)-i)
				break
			}
			msg = strings.ReplaceAll(truncate(msg, maxErrorLen), "```", "'''")
			b.WriteString("  " + strings.ReplaceAll(msg, "\n", "\n  ") + "\n")
		}
		b.WriteString("  ```\n")
		lines = append(lines, b.String())
	}
	if r.MaybeCorrupt {
		lines = append(lines, "- **STATE**: the engine reports that some resource state may be corrupt.\n")
	}
	for _, res := range r.Replacements {
		line := "- **REPLACE** " + resourceRef(res)
		if reasons := res.ReplaceReasons; len(reasons) > 0 {
			shown := reasons[:min(len(reasons), maxReasonsShown)]
			line += " — forced by " + codeList(shown)
			if len(reasons) > len(shown) {
				line += fmt.Sprintf(" and %d more", len(reasons)-len(shown))
			}
		}
		lines = append(lines, line+"\n")
	}
	for _, res := range r.Deletions {
		lines = append(lines, "- **DELETE** "+resourceRef(res)+"\n")
	}
	for _, res := range r.Protected {
		line := "- **PROTECTED** " + resourceRef(res)
		if res.Op != OpSame {
			line += " is touched (" + res.Op + ")"
		}
		var notes []string
		if res.ProtectChanged {
			if res.newState != nil && res.newState.Protect {
				notes = append(notes, "protection is turned on")
			} else {
				notes = append(notes, "protection is turned off")
			}
		}
		if res.Op == OpDelete || res.Op == OpReplace {
			notes = append(notes, "a protected resource cannot be deleted, so `pulumi up` will fail until protection is removed on purpose")
		}
		if len(notes) > 0 {
			line += ": " + strings.Join(notes, "; ")
		}
		lines = append(lines, line+"\n")
	}
	return lines
}

func (r Report) imageHeader() string {
	if len(r.Images) == 0 {
		return ""
	}
	return "#### Image changes\n\n| Environment | Service | Old tag | New tag |\n|---|---|---|---|\n"
}

func (r Report) imageRows() []string {
	rows := make([]string, 0, len(r.Images))
	for _, img := range r.Images {
		service := img.Service
		if img.Container != "" {
			service += " (" + img.Container + ")"
		}
		rows = append(rows, fmt.Sprintf("| %s | %s | %s | %s |\n",
			cell(img.Environment), cell(service), versionCell(img.Old), versionCell(img.New)))
	}
	return rows
}

func (r Report) detailHeader() string {
	if len(r.Resources) == 0 {
		return ""
	}
	return fmt.Sprintf("<details>\n<summary>Resource changes (%d)</summary>\n\n"+
		"| Operation | Type | Name | Changed keys |\n|---|---|---|---|\n", len(r.Resources))
}

func (r Report) detailRows() []string {
	rows := make([]string, 0, len(r.Resources))
	for _, res := range r.Resources {
		keys := "—"
		if len(res.ChangedKeys) > 0 {
			keys = codeList(res.ChangedKeys)
		}
		op := res.Op
		if res.Protected {
			op += " (protected)"
		}
		rows = append(rows, fmt.Sprintf("| %s | %s | %s | %s |\n", op, code(res.Type), code(res.Name), cell(keys)))
	}
	return rows
}

// fitRows renders header, the rows that fit in budget, a "... N more" line
// for the rest, and footer. When not even the frame fits, it falls back to
// the "... N more" line alone.
func fitRows(header string, rows []string, footer, noun string, budget int) string {
	if header == "" || len(rows) == 0 {
		return ""
	}
	frame := len(header) + len(moreLine(len(rows), noun)) + len(footer)
	if frame > budget {
		return moreLine(len(rows), noun)
	}
	var b strings.Builder
	b.WriteString(header)
	for i, row := range rows {
		if b.Len()+len(row)+len(moreLine(len(rows)-i, noun))+len(footer) > budget {
			b.WriteString(moreLine(len(rows)-i, noun))
			break
		}
		b.WriteString(row)
	}
	b.WriteString(footer)
	return b.String()
}

// moreLine starts with a blank line so that it ends a Markdown table.
func moreLine(n int, noun string) string {
	return fmt.Sprintf("\n... %d more %s not shown (comment size limit; see the workflow log)\n", n, noun)
}

// versionCell shows versions as code and placeholders (—, known after apply) as text.
func versionCell(v string) string {
	if v == "—" || strings.HasPrefix(v, "(") {
		return cell(v)
	}
	return code(v)
}

func resourceRef(res Resource) string { return code(res.Type) + " " + code(res.Name) }

func codeList(items []string) string {
	quoted := make([]string, len(items))
	for i, s := range items {
		quoted[i] = code(s)
	}
	return strings.Join(quoted, ", ")
}

// code wraps s in a code span; backticks inside would end it early.
func code(s string) string {
	return "`" + cell(strings.ReplaceAll(s, "`", "'")) + "`"
}

// cell makes s safe inside a table cell.
func cell(s string) string {
	s = strings.ReplaceAll(s, "\r", "")
	s = strings.ReplaceAll(s, "\n", " ")
	return strings.ReplaceAll(s, "|", `\|`)
}

func truncate(s string, n int) string {
	if len(s) <= n {
		return s
	}
	cut := n
	for cut > 0 && !utf8Start(s[cut]) {
		cut--
	}
	return s[:cut] + " …"
}

// utf8Start reports whether b begins a UTF-8 sequence, so cuts never split a character.
func utf8Start(b byte) bool { return b&0xC0 != 0x80 }
