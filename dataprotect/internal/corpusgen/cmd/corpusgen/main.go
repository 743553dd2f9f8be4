// Command corpusgen writes the detection benchmark corpus and its ground
// truth (truth.json) into a directory.
package main

import (
	"flag"
	"fmt"
	"os"
	"path/filepath"

	"github.com/vigilsec/vigil/dataprotect/internal/corpusgen"
)

func main() {
	out := flag.String("out", "corpus", "directory to write")
	mb := flag.Int("mb", 16, "corpus size in MiB")
	seed := flag.Uint64("seed", 7, "random seed")
	dense := flag.Bool("dense", false, "plant five times as much sensitive data")
	flag.Parse()
	c := corpusgen.Generate(*seed, *mb<<20, *dense)
	if err := os.MkdirAll(*out, 0o755); err != nil {
		fmt.Fprintln(os.Stderr, "corpusgen:", err)
		os.Exit(1)
	}
	for _, f := range c.Files {
		if err := os.WriteFile(filepath.Join(*out, f.Name), f.Data, 0o644); err != nil {
			fmt.Fprintln(os.Stderr, "corpusgen:", err)
			os.Exit(1)
		}
	}
	truth, err := c.TruthJSON()
	if err == nil {
		err = os.WriteFile(filepath.Join(*out, "truth.json"), truth, 0o644)
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, "corpusgen:", err)
		os.Exit(1)
	}
	fmt.Printf("wrote %d files, %d bytes, %d planted values to %s\n", len(c.Files), c.Size(), len(c.Truth), *out)
}
