// symbols.go - what the oracle needs from the sample's executable: global variables' addresses
// (to find the root of a named global) and the line table (to name a goroutine's creation
// site from its gopc). Standard library debug/elf and debug/gosym only; non-PIE executables
// (go build's default on linux/amd64), so addresses need no load bias.
package main

import (
	"debug/elf"
	"debug/gosym"
	"fmt"
)

// Exe is an opened Go executable.
type Exe struct {
	syms  []elf.Symbol
	table *gosym.Table
}

// OpenExe reads the symbol table and the pclntab of path.
func OpenExe(path string) (*Exe, error) {
	f, err := elf.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	if f.Type != elf.ET_EXEC {
		return nil, fmt.Errorf("%s: only non-PIE executables (ELF type EXEC) are supported, got %v", path, f.Type)
	}
	syms, err := f.Symbols()
	if err != nil {
		return nil, fmt.Errorf("%s: symbols: %w", path, err)
	}
	pcln := f.Section(".gopclntab")
	text := f.Section(".text")
	if pcln == nil || text == nil {
		return nil, fmt.Errorf("%s: no .gopclntab or .text section", path)
	}
	data, err := pcln.Data()
	if err != nil {
		return nil, fmt.Errorf("%s: .gopclntab: %w", path, err)
	}
	table, err := gosym.NewTable(nil, gosym.NewLineTable(data, text.Addr))
	if err != nil {
		return nil, fmt.Errorf("%s: line table: %w", path, err)
	}
	return &Exe{syms: syms, table: table}, nil
}

// Symbol returns the address and size of a data symbol such as "main.cache".
func (x *Exe) Symbol(name string) (addr, size uint64, err error) {
	for _, s := range x.syms {
		if s.Name == name && elf.ST_TYPE(s.Info) == elf.STT_OBJECT {
			return s.Value, s.Size, nil
		}
	}
	return 0, 0, fmt.Errorf("no data symbol %q", name)
}

// CreationSite names the `go` statement whose call returns to gopc, as the runtime's own
// traceback does ("created by"): the line of gopc-1 when gopc is past the function's entry.
func (x *Exe) CreationSite(gopc uint64) (fn, file string, line int) {
	f := x.table.PCToFunc(gopc)
	if f == nil {
		return "", "", 0
	}
	pc := gopc
	if pc > f.Entry {
		pc--
	}
	file, line, _ = x.table.PCToLine(pc)
	return f.Name, file, line
}
