package c8yfake

import "net/http"

func (p *Platform) registerUser() {
	p.route("GET /user/currentUser", "", p.currentUser)
}

// currentUser serves GET /user/currentUser with the caller's effective roles.
func (p *Platform) currentUser(w http.ResponseWriter, r *http.Request, who principal) {
	if !checkAccept(w, r, typeCurrentUser) {
		return
	}
	base := baseURL(r)

	p.mu.Lock()
	u := p.findUser(who)
	if u == nil {
		p.mu.Unlock()
		writeError(w, http.StatusUnauthorized, "security/Unauthorized", "Invalid credentials! : User was removed")
		return
	}
	roles := make([]map[string]string, 0, len(u.roles))
	for _, role := range u.roles {
		roles = append(roles, map[string]string{"id": role, "name": role, "self": base + "/user/roles/" + role})
	}
	p.mu.Unlock()

	writeJSON(w, http.StatusOK, typeCurrentUser, map[string]any{
		"id":             who.user,
		"userName":       who.user,
		"self":           base + "/user/currentUser",
		"effectiveRoles": roles,
	})
}
