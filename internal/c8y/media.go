package c8y

// Media types of the platform's resources. The platform compares them without regard to
// case; each is JSON.
const (
	MediaTypeApplication               = "application/vnd.com.nsn.cumulocity.application+json"
	MediaTypeApplicationCollection     = "application/vnd.com.nsn.cumulocity.applicationCollection+json"
	MediaTypeApplicationReference      = "application/vnd.com.nsn.cumulocity.applicationReference+json"
	MediaTypeApplicationUserCollection = "application/vnd.com.nsn.cumulocity.applicationUserCollection+json"
	MediaTypeCurrentTenant             = "application/vnd.com.nsn.cumulocity.currentTenant+json"
	MediaTypeCurrentUser               = "application/vnd.com.nsn.cumulocity.currentUser+json"
	MediaTypeExternalID                = "application/vnd.com.nsn.cumulocity.externalId+json"
	MediaTypeManagedObject             = "application/vnd.com.nsn.cumulocity.managedObject+json"
	MediaTypeManagedObjectCollection   = "application/vnd.com.nsn.cumulocity.managedObjectCollection+json"
	MediaTypeMeasurement               = "application/vnd.com.nsn.cumulocity.measurement+json"
	MediaTypeMeasurementCollection     = "application/vnd.com.nsn.cumulocity.measurementCollection+json"
	MediaTypeUser                      = "application/vnd.com.nsn.cumulocity.user+json"
	MediaTypeError                     = "application/vnd.com.nsn.cumulocity.error+json"
)
