package asl

import (
	"encoding/json"
	"fmt"
	"math"
	"slices"
)

// A distributed Map's ItemBatcher groups the selected items: each child
// execution gets {"BatchInput": ..., "Items": [...]} with at most
// MaxItemsPerBatch items and MaxInputBytesPerBatch bytes of JSON (and
// never more than the 256 KiB payload limit).

// itemBatcher is a Map state's ItemBatcher.
type itemBatcher struct {
	maxItems, maxBytes         int
	maxItemsPath, maxBytesPath *path
	batchInput                 *template
	// JSONata mode: the same fields as expressions or values.
	jMaxItems, jMaxBytes, jBatchInput *jtmpl
}

var batcherFields = []string{"MaxItemsPerBatch", "MaxItemsPerBatchPath", "MaxInputBytesPerBatch", "MaxInputBytesPerBatchPath", "BatchInput"}

func (p *parser) itemBatcher(v any, loc string, distributed bool) *itemBatcher {
	o, ok := v.(map[string]any)
	if !ok {
		p.schema(loc, "Expected value of type: Object")
		return nil
	}
	if !distributed {
		p.schema(loc, "ItemBatcher is only supported when the ProcessorConfig Mode is DISTRIBUTED")
	}
	for _, k := range sortedKeys(o) {
		if !slices.Contains(batcherFields, k) {
			p.schema(loc, "Field '%s' is not supported", k)
		}
	}
	b := &itemBatcher{}
	if p.jsonata {
		for _, f := range []string{"MaxItemsPerBatchPath", "MaxInputBytesPerBatchPath"} {
			if _, ok := o[f]; ok {
				p.schema(loc, "The field '%s' is not supported when QueryLanguage is JSONata", f)
			}
		}
		for _, f := range []struct {
			name string
			dst  **jtmpl
		}{{"MaxItemsPerBatch", &b.jMaxItems}, {"MaxInputBytesPerBatch", &b.jMaxBytes}, {"BatchInput", &b.jBatchInput}} {
			if v, ok := o[f.name]; ok {
				jt, err := compileJTmpl(v, 0)
				if err != nil {
					p.schema(loc+"/"+f.name, "The JSONata expression is invalid: %v", err)
					continue
				}
				*f.dst = jt
			}
		}
		return b
	}
	b.maxItems, _ = p.intField(o, "MaxItemsPerBatch", loc, 1, math.MaxInt32)
	b.maxBytes, _ = p.intField(o, "MaxInputBytesPerBatch", loc, 1, MaxPayloadBytes)
	b.maxItemsPath = p.pathField(o, "MaxItemsPerBatchPath", loc)
	b.maxBytesPath = p.pathField(o, "MaxInputBytesPerBatchPath", loc)
	b.batchInput = p.templateField(o, "BatchInput", loc)
	for _, pair := range [][2]string{{"MaxItemsPerBatch", "MaxItemsPerBatchPath"}, {"MaxInputBytesPerBatch", "MaxInputBytesPerBatchPath"}} {
		if o[pair[0]] != nil && o[pair[1]] != nil {
			p.schema(loc, "Only one of %s or %s can be specified", pair[0], pair[1])
		}
	}
	return b
}

// batchLimits are an ItemBatcher's resolved settings.
type batchLimits struct {
	maxItems, maxBytes int
	input              any // BatchInput, or nil when absent
	hasInput           bool
}

// limits resolves a JSONPath-mode ItemBatcher against the state's input.
func (b *itemBatcher) limits(e *env) (batchLimits, *failure) {
	l := batchLimits{maxItems: b.maxItems, maxBytes: b.maxBytes}
	var f *failure
	if b.maxItemsPath != nil {
		if l.maxItems, f = pathInt(e, b.maxItemsPath, "MaxItemsPerBatchPath"); f != nil {
			return l, f
		}
	}
	if b.maxBytesPath != nil {
		if l.maxBytes, f = pathInt(e, b.maxBytesPath, "MaxInputBytesPerBatchPath"); f != nil {
			return l, f
		}
	}
	if b.batchInput != nil {
		if l.input, f = b.batchInput.eval(e); f != nil {
			return l, f
		}
		l.hasInput = true
	}
	return l, l.check()
}

// jlimits resolves a JSONata-mode ItemBatcher.
func (b *itemBatcher) jlimits(sc *jscope) (batchLimits, *jerr) {
	var l batchLimits
	for _, f := range []struct {
		name string
		jt   *jtmpl
		dst  *int
	}{{"MaxItemsPerBatch", b.jMaxItems, &l.maxItems}, {"MaxInputBytesPerBatch", b.jMaxBytes, &l.maxBytes}} {
		if f.jt == nil {
			continue
		}
		v, je := f.jt.eval(sc, f.name)
		if je != nil {
			return l, je
		}
		n, ok := toInt(v)
		if !ok || n < 1 || n > math.MaxInt32 {
			return l, &jerr{f.name, fmt.Sprintf("The %s field must be a positive integer, but was: %s", f.name, encodeString(v))}
		}
		*f.dst = int(n)
	}
	if b.jBatchInput != nil {
		v, je := b.jBatchInput.eval(sc, "BatchInput")
		if je != nil {
			return l, je
		}
		l.input, l.hasInput = v, true
	}
	if f := l.check(); f != nil {
		return l, &jerr{"", f.Cause}
	}
	return l, nil
}

func (l batchLimits) check() *failure {
	if l.maxItems < 0 {
		return runtimeErr("MaxItemsPerBatch must be positive, but was %d.", l.maxItems)
	}
	if l.maxBytes < 0 || l.maxBytes > MaxPayloadBytes {
		return runtimeErr("MaxInputBytesPerBatch must be between 1 and %d, but was %d.", MaxPayloadBytes, l.maxBytes)
	}
	return nil
}

// batch groups items in order, filling each batch as far as the limits
// allow.
func (l batchLimits) batch(items []json.RawMessage) ([]json.RawMessage, *failure) {
	maxBytes := l.maxBytes
	if maxBytes == 0 {
		maxBytes = MaxPayloadBytes
	}
	wrap := func(group []any) json.RawMessage {
		obj := map[string]any{"Items": group}
		if l.hasInput {
			obj["BatchInput"] = l.input
		}
		return rawOf(obj)
	}
	base := len(wrap([]any{}))
	var out []json.RawMessage
	var group []any
	size := base
	for i, it := range items {
		add := len(it)
		if len(group) > 0 {
			add++ // the comma
		}
		full := l.maxItems > 0 && len(group) >= l.maxItems
		if len(group) > 0 && (full || size+add > maxBytes) {
			out = append(out, wrap(group))
			group, size, add = nil, base, len(it)
		}
		if size+add > maxBytes {
			return nil, runtimeErr("The item at index %d does not fit in a batch of at most %d bytes.", i, maxBytes)
		}
		group = append(group, valueOf(it))
		size += add
	}
	if len(group) > 0 {
		out = append(out, wrap(group))
	}
	return out, nil
}
