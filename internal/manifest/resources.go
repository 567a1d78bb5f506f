package manifest

import "fmt"

// quantity is the effective value of one resource field.
type quantity struct {
	text     string // as written in the manifest, or the platform default
	amount   int64  // millicores or bytes
	explicit bool   // set in the manifest
	valid    bool   // text parsed
}

// quantityRule is the format and lower bound of one kind of resource.
type quantityRule struct {
	parse        func(string) (int64, error)
	minimum      int64
	minimumText  string
	minimumValue string
}

func cpuRule() quantityRule {
	return quantityRule{parse: ParseCPU, minimum: 100, minimumText: "100m (0.1 CPU)", minimumValue: "100m"}
}

func memoryRule() quantityRule {
	return quantityRule{parse: ParseMemory, minimum: 10_000_000, minimumText: "10M (10000000 bytes)", minimumValue: "10M"}
}

// checkResources checks the limits and requests and that no explicit request exceeds its effective limit.
//
// NOTE: a request left to its default is not compared, because it is unknown how the platform resolves
// a limit set below the default request, e.g. "resources": {"memory": "128Mi"} against the default request 256M.
func (c *checker) checkResources(limits, requests *Resources) {
	limitCPU := c.checkQuantity("resources.cpu", limits.cpu(), defaultCPULimit, cpuRule())
	requestCPU := c.checkQuantity("requestedResources.cpu", requests.cpu(), defaultCPURequest, cpuRule())
	limitMemory := c.checkQuantity("resources.memory", limits.memory(), defaultMemoryLimit, memoryRule())
	requestMemory := c.checkQuantity("requestedResources.memory", requests.memory(), defaultMemoryRequest, memoryRule())

	c.checkRequestWithinLimit("requestedResources.cpu", requestCPU, "resources.cpu", limitCPU)
	c.checkRequestWithinLimit("requestedResources.memory", requestMemory, "resources.memory", limitMemory)
}

// checkQuantity returns the effective value of a resource field, which is fallback when value is empty.
func (c *checker) checkQuantity(field, value, fallback string, rule quantityRule) quantity {
	if value == "" {
		amount, err := rule.parse(fallback)
		return quantity{text: fallback, amount: amount, valid: err == nil}
	}

	amount, err := rule.parse(value)
	if err != nil {
		c.add(quantityViolation(field, value, err))
		return quantity{text: value, explicit: true}
	}

	if amount < rule.minimum {
		c.invalid(field, value, "must be at least "+rule.minimumText, fmt.Sprintf("use %q or more", rule.minimumValue))
	}

	return quantity{text: value, amount: amount, explicit: true, valid: true}
}

func (c *checker) checkRequestWithinLimit(requestField string, request quantity, limitField string, limit quantity) {
	if !request.explicit || !request.valid || !limit.valid || request.amount <= limit.amount {
		return
	}

	source := fmt.Sprintf("the limit %s %q", limitField, limit.text)
	if !limit.explicit {
		source = fmt.Sprintf("the default limit %q", limit.text)
	}

	c.invalid(requestField, request.text, "must not exceed "+source, "lower the request or raise "+limitField)
}

func (r *Resources) cpu() string {
	if r == nil {
		return ""
	}

	return r.CPU
}

func (r *Resources) memory() string {
	if r == nil {
		return ""
	}

	return r.Memory
}
