package c8yfake

// The status object of a microservice is a managed object of type
// c8y_Application_<application id> in the owner's inventory, created at the first
// subscription, whose c8y_Status fragment reports the deployment.
//
// NOTE: the platform's OpenAPI spec does not describe this object. Its fields follow the
// typings of Cumulocity's Web SDK (@c8y/client, IApplicationManagedObject): status Up,
// Unhealthy, Down or Unknown, details with desired and active instances, and instances by
// pod name. Which status a starting deployment shows is a guess: the fake reports "Down".

// startDeployment records that a new deployment of the application starts now, at a
// subscription or an upload, and updates its status object. The caller holds p.mu.
func (p *Platform) startDeployment(app *application) {
	app.started = p.now()
	p.updateStatus(app)
}

// updateStatus creates or updates the status object of a microservice that has been
// subscribed: "Up" from StartupDelay after the deployment started while a tenant is
// subscribed, "Down" otherwise. The caller holds p.mu.
func (p *Platform) updateStatus(app *application) {
	if app.Type != TypeMicroservice {
		return
	}
	owner := p.ensureTenant(app.Owner)
	if app.statusID == "" {
		if len(app.subscribers) == 0 {
			return
		}
		app.statusID = p.newID()
		owner.objects[app.statusID] = map[string]any{
			"id":               app.statusID,
			"type":             "c8y_Application_" + app.ID,
			"name":             app.Name,
			"applicationId":    app.ID,
			"applicationOwner": app.Owner,
			"owner":            app.bootstrapUserName(),
			"creationTime":     p.now().Format(timeLayout),
		}
	}
	object, ok := owner.objects[app.statusID]
	if !ok {
		return // deleted through the inventory API
	}

	up := len(app.subscribers) > 0 && !p.now().Before(app.started.Add(p.startupDelay))
	status := map[string]any{
		"status": "Down",
		"details": map[string]any{
			"desired":             1,
			"active":              0,
			"restarts":            0,
			"aggregatedResources": map[string]any{"cpu": "500m", "memory": "512M"},
		},
		"instances": map[string]any{},
	}
	if up {
		status["status"] = "Up"
		status["details"].(map[string]any)["active"] = 1
		status["instances"] = map[string]any{
			app.Name + "-scope-" + app.Owner + "-deployment-0": map[string]any{
				"restarts": 0, "scheduled": true, "memoryInBytes": 64 << 20, "cpuInMillis": 5,
			},
		}
	}

	previous, _ := object["c8y_Status"].(map[string]any)
	if previous == nil || previous["status"] != status["status"] {
		object["lastUpdated"] = p.now().Format(timeLayout)
	}
	object["c8y_Status"] = status
}

// refreshStatus updates the status objects in the tenant's inventory, which change with
// time, before the inventory is read. The caller holds p.mu.
func (p *Platform) refreshStatus(t *tenant) {
	for _, app := range p.apps {
		if app.Owner == t.id && app.statusID != "" {
			p.updateStatus(app)
		}
	}
}
