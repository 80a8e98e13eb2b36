package atmos

import (
	"fmt"
	"testing"
)

func TestGenerateTree(t *testing.T) {
	for _, n := range []int{1, 9, 10, 11, 100, 123} {
		recs, err := Expand(GenerateTree(n), Options{})
		if err != nil {
			t.Fatalf("GenerateTree(%d): %v", n, err)
		}
		if len(recs) != n {
			t.Errorf("GenerateTree(%d) expands to %d records", n, len(recs))
		}
	}
}

// BenchmarkExpand measures a full expansion (parse, merge, names, labels) of
// generated trees; run with -benchmem.
func BenchmarkExpand(b *testing.B) {
	for _, n := range []int{100, 1000, 5000} {
		fsys := GenerateTree(n)
		b.Run(fmt.Sprintf("N=%d", n), func(b *testing.B) {
			for b.Loop() {
				recs, err := Expand(fsys, Options{})
				if err != nil {
					b.Fatal(err)
				}
				if len(recs) != n {
					b.Fatalf("got %d records, want %d", len(recs), n)
				}
			}
		})
	}
}
