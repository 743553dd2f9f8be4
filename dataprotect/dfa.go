package dataprotect

import (
	"encoding/binary"
	"regexp/syntax"
	"unicode"
	"unicode/utf8"
)

// dfa is an anchored matcher for the managed identifiers' shape
// expressions, built ahead of time from the expression's program. It gives
// the same match as the regexp package (leftmost-first: a state is the
// ordered list of threads, cut after the first that has matched), but
// without the backtracker's per-call setup, which dominated the cost of the
// short matches made inside keyword windows.
//
// Only ASCII expressions without assertions are compiled (the managed
// shapes are); newDFA returns nil for the rest, which keep using regexp.
type dfa struct {
	class  [256]uint8 // byte → class; class 0 never matches
	nclass int
	next   []int32 // state*nclass + class → state, -1 dead
	match  []bool  // a thread has matched in the state
}

// maxDFAStates bounds construction; an expression needing more keeps
// using regexp.
const maxDFAStates = 2048

func newDFA(re *syntax.Regexp) *dfa {
	prog, err := syntax.Compile(re)
	if err != nil || !asciiProg(prog) {
		return nil
	}
	d := &dfa{}
	// Bytes that every instruction treats alike share a class.
	sigs := map[string]uint8{}
	var runeInsts []*syntax.Inst
	for i := range prog.Inst {
		if isRuneInst(prog.Inst[i].Op) {
			runeInsts = append(runeInsts, &prog.Inst[i])
		}
	}
	d.nclass = 1
	for b := 0; b < utf8.RuneSelf; b++ {
		sig := make([]byte, len(runeInsts))
		any := false
		for k, in := range runeInsts {
			if in.MatchRune(rune(b)) {
				sig[k], any = 1, true
			}
		}
		if !any {
			continue
		}
		c, ok := sigs[string(sig)]
		if !ok {
			c = uint8(d.nclass)
			sigs[string(sig)] = c
			d.nclass++
			if d.nclass > 255 {
				return nil
			}
		}
		d.class[b] = c
	}
	reps := make([]rune, d.nclass) // one byte of each class
	for b := utf8.RuneSelf - 1; b >= 0; b-- {
		reps[d.class[b]] = rune(b)
	}

	// Subset construction over ordered thread lists.
	index := map[string]int32{}
	var states [][]uint32
	add := func(list []uint32) int32 {
		if len(list) == 0 {
			return -1
		}
		key := listKey(list)
		if s, ok := index[key]; ok {
			return s
		}
		s := int32(len(states))
		index[key] = s
		states = append(states, list)
		return s
	}
	if add(closure(prog, []uint32{uint32(prog.Start)})) < 0 {
		return nil
	}
	for s := 0; s < len(states); s++ {
		if len(states) > maxDFAStates {
			return nil
		}
		list := states[s]
		matched := false
		for _, pc := range list {
			if prog.Inst[pc].Op == syntax.InstMatch {
				matched = true
			}
		}
		d.match = append(d.match, matched)
		for c := 0; c < d.nclass; c++ {
			if c == 0 {
				d.next = append(d.next, -1)
				continue
			}
			var outs []uint32
			for _, pc := range list {
				in := &prog.Inst[pc]
				if in.Op == syntax.InstMatch {
					break // lower-priority threads are cut
				}
				if in.MatchRune(reps[c]) {
					outs = append(outs, in.Out)
				}
			}
			d.next = append(d.next, add(closure(prog, outs)))
		}
	}
	return d
}

// find returns the end of the match anchored at the start of b, or -1.
func (d *dfa) find(b []byte) int {
	end := -1
	s := int32(0)
	if d.match[0] {
		end = 0
	}
	for i, c := range b {
		s = d.next[int(s)*d.nclass+int(d.class[c])]
		if s < 0 {
			break
		}
		if d.match[s] {
			end = i + 1
		}
	}
	return end
}

// closure follows the empty transitions from pcs in priority order and
// returns the ordered, duplicate-free list of rune and match instructions
// reached, cut after the first match.
func closure(prog *syntax.Prog, pcs []uint32) []uint32 {
	var out []uint32
	seen := map[uint32]bool{}
	var visit func(pc uint32) bool // reports a match reached
	visit = func(pc uint32) bool {
		if seen[pc] {
			return false
		}
		seen[pc] = true
		in := &prog.Inst[pc]
		switch in.Op {
		case syntax.InstAlt, syntax.InstAltMatch:
			return visit(in.Out) || visit(in.Arg)
		case syntax.InstNop, syntax.InstCapture:
			return visit(in.Out)
		case syntax.InstMatch:
			out = append(out, pc)
			return true
		case syntax.InstFail:
			return false
		}
		out = append(out, pc) // a rune instruction
		return false
	}
	for _, pc := range pcs {
		if visit(pc) {
			break
		}
	}
	return out
}

func listKey(list []uint32) string {
	b := make([]byte, 0, 4*len(list))
	for _, pc := range list {
		b = binary.LittleEndian.AppendUint32(b, pc)
	}
	return string(b)
}

func isRuneInst(op syntax.InstOp) bool {
	switch op {
	case syntax.InstRune, syntax.InstRune1, syntax.InstRuneAny, syntax.InstRuneAnyNotNL:
		return true
	}
	return false
}

// asciiProg reports whether prog has no assertions and matches only ASCII
// runes (also under case folding), so that a byte automaton is exact.
func asciiProg(prog *syntax.Prog) bool {
	for i := range prog.Inst {
		in := &prog.Inst[i]
		switch in.Op {
		case syntax.InstEmptyWidth, syntax.InstRuneAny, syntax.InstRuneAnyNotNL:
			return false
		case syntax.InstRune, syntax.InstRune1:
			for _, r := range in.Rune {
				if r >= utf8.RuneSelf {
					return false
				}
				if syntax.Flags(in.Arg)&syntax.FoldCase != 0 {
					for f := unicode.SimpleFold(r); f != r; f = unicode.SimpleFold(f) {
						if f >= utf8.RuneSelf {
							return false
						}
					}
				}
			}
		}
	}
	return true
}
