/**
 * Kubernetes' core/v1 field names of a PodTemplateSpec and of every type it holds, in the order of
 * their Go struct (the order `encoding/json` writes them, which Argo Rollouts' pod-template hash
 * depends on). Derived from `core/v1/types.go` of kubernetes/api (commit 10b39a3, 2026-07; the
 * `metav1.*` entries from apimachinery's meta/v1 types), field names and Go types only.
 *
 * Each entry is `jsonName:type` separated by spaces; `...Type` splices an embedded struct's fields.
 * A type is a struct name, `string`, `int`, `bool`, `Quantity` (Kubernetes' resource quantity) or
 * `IntOrString`, prefixed by `*` (pointer), `[]` (list) or `map:` (string-keyed map); a trailing
 * `!` marks a field without `omitempty` (always written, its Go zero value when absent).
 */
const POD_TEMPLATE_FIELDS: Readonly<Record<string, string>> = {
  AWSElasticBlockStoreVolumeSource: 'volumeID:string! fsType:string partition:int readOnly:bool',
  Affinity: 'nodeAffinity:*NodeAffinity podAffinity:*PodAffinity podAntiAffinity:*PodAntiAffinity',
  AppArmorProfile: 'type:string! localhostProfile:*string',
  AzureDiskVolumeSource:
    'diskName:string! diskURI:string! cachingMode:*string fsType:*string readOnly:*bool kind:*string',
  AzureFileVolumeSource: 'secretName:string! shareName:string! readOnly:bool',
  CSIVolumeSource:
    'driver:string! readOnly:*bool fsType:*string volumeAttributes:map:string nodePublishSecretRef:*LocalObjectReference',
  Capabilities: 'add:[]string drop:[]string',
  CephFSVolumeSource:
    'monitors:[]string! path:string user:string secretFile:string secretRef:*LocalObjectReference readOnly:bool',
  CinderVolumeSource: 'volumeID:string! fsType:string readOnly:bool secretRef:*LocalObjectReference',
  ClusterTrustBundleProjection:
    'name:*string signerName:*string labelSelector:*metav1.LabelSelector optional:*bool path:string! user:*int',
  ConfigMapEnvSource: '...LocalObjectReference optional:*bool',
  ConfigMapKeySelector: '...LocalObjectReference key:string! optional:*bool',
  ConfigMapProjection: '...LocalObjectReference items:[]KeyToPath optional:*bool',
  ConfigMapVolumeSource:
    '...LocalObjectReference items:[]KeyToPath defaultMode:*int optional:*bool defaultUser:*int',
  Container:
    'name:string! image:string command:[]string args:[]string workingDir:string ports:[]ContainerPort envFrom:[]EnvFromSource env:[]EnvVar resources:ResourceRequirements resizePolicy:[]ContainerResizePolicy restartPolicy:*string restartPolicyRules:[]ContainerRestartRule volumeMounts:[]VolumeMount volumeDevices:[]VolumeDevice livenessProbe:*Probe readinessProbe:*Probe startupProbe:*Probe lifecycle:*Lifecycle terminationMessagePath:string terminationMessagePolicy:string imagePullPolicy:string securityContext:*SecurityContext stdin:bool stdinOnce:bool tty:bool',
  ContainerPort: 'name:string hostPort:int containerPort:int! protocol:string hostIP:string',
  ContainerResizePolicy: 'resourceName:string! restartPolicy:string!',
  ContainerRestartRule: 'action:string exitCodes:*ContainerRestartRuleOnExitCodes',
  ContainerRestartRuleOnExitCodes: 'operator:string values:[]int',
  DownwardAPIProjection: 'items:[]DownwardAPIVolumeFile',
  DownwardAPIVolumeFile:
    'path:string! fieldRef:*ObjectFieldSelector resourceFieldRef:*ResourceFieldSelector mode:*int user:*int',
  DownwardAPIVolumeSource: 'items:[]DownwardAPIVolumeFile defaultMode:*int defaultUser:*int',
  EmptyDirVolumeSource: 'medium:string sizeLimit:*Quantity mode:*int',
  EnvFromSource: 'prefix:string configMapRef:*ConfigMapEnvSource secretRef:*SecretEnvSource',
  EnvVar: 'name:string! value:string valueFrom:*EnvVarSource',
  EnvVarSource:
    'fieldRef:*ObjectFieldSelector resourceFieldRef:*ResourceFieldSelector configMapKeyRef:*ConfigMapKeySelector secretKeyRef:*SecretKeySelector fileKeyRef:*FileKeySelector',
  EphemeralContainer: '...EphemeralContainerCommon targetContainerName:string',
  EphemeralContainerCommon:
    'name:string! image:string command:[]string args:[]string workingDir:string ports:[]ContainerPort envFrom:[]EnvFromSource env:[]EnvVar resources:ResourceRequirements resizePolicy:[]ContainerResizePolicy restartPolicy:*string restartPolicyRules:[]ContainerRestartRule volumeMounts:[]VolumeMount volumeDevices:[]VolumeDevice livenessProbe:*Probe readinessProbe:*Probe startupProbe:*Probe lifecycle:*Lifecycle terminationMessagePath:string terminationMessagePolicy:string imagePullPolicy:string securityContext:*SecurityContext stdin:bool stdinOnce:bool tty:bool',
  EphemeralVolumeSource: 'volumeClaimTemplate:*PersistentVolumeClaimTemplate',
  EvictionResponder: 'name:string! priority:*int!',
  ExecAction: 'command:[]string',
  FCVolumeSource: 'targetWWNs:[]string lun:*int fsType:string readOnly:bool wwids:[]string',
  FileKeySelector: 'volumeName:string! path:string! key:string! optional:*bool',
  FlexVolumeSource:
    'driver:string! fsType:string secretRef:*LocalObjectReference readOnly:bool options:map:string',
  FlockerVolumeSource: 'datasetName:string datasetUUID:string',
  GCEPersistentDiskVolumeSource: 'pdName:string! fsType:string partition:int readOnly:bool',
  GRPCAction: 'port:int! service:*string! mode:*string',
  GitRepoVolumeSource: 'repository:string! revision:string directory:string',
  GlusterfsVolumeSource: 'endpoints:string! path:string! readOnly:bool',
  HTTPGetAction:
    'path:string port:IntOrString! host:string scheme:string httpHeaders:[]HTTPHeader protocol:*string',
  HTTPHeader: 'name:string! value:string!',
  HostAlias: 'ip:string! hostnames:[]string',
  HostPathVolumeSource: 'path:string! type:*string',
  ISCSIVolumeSource:
    'targetPortal:string! iqn:string! lun:int! iscsiInterface:string fsType:string readOnly:bool portals:[]string chapAuthDiscovery:bool chapAuthSession:bool secretRef:*LocalObjectReference initiatorName:*string',
  ImageVolumeSource: 'reference:string pullPolicy:string',
  KeyToPath: 'key:string! path:string! mode:*int user:*int',
  Lifecycle: 'postStart:*LifecycleHandler preStop:*LifecycleHandler stopSignal:*string',
  LifecycleHandler: 'exec:*ExecAction httpGet:*HTTPGetAction tcpSocket:*TCPSocketAction sleep:*SleepAction',
  LocalObjectReference: 'name:string',
  NFSVolumeSource: 'server:string! path:string! readOnly:bool',
  NodeAffinity:
    'requiredDuringSchedulingIgnoredDuringExecution:*NodeSelector preferredDuringSchedulingIgnoredDuringExecution:[]PreferredSchedulingTerm',
  NodeSelector: 'nodeSelectorTerms:[]NodeSelectorTerm!',
  NodeSelectorRequirement: 'key:string! operator:string! values:[]string',
  NodeSelectorTerm: 'matchExpressions:[]NodeSelectorRequirement matchFields:[]NodeSelectorRequirement',
  ObjectFieldSelector: 'apiVersion:string fieldPath:string!',
  PersistentVolumeClaimSpec:
    'accessModes:[]string selector:*metav1.LabelSelector resources:VolumeResourceRequirements volumeName:string storageClassName:*string volumeMode:*string dataSource:*TypedLocalObjectReference dataSourceRef:*TypedObjectReference volumeAttributesClassName:*string',
  PersistentVolumeClaimTemplate: 'metadata:metav1.ObjectMeta spec:PersistentVolumeClaimSpec!',
  PersistentVolumeClaimVolumeSource: 'claimName:string! readOnly:bool',
  PhotonPersistentDiskVolumeSource: 'pdID:string! fsType:string',
  PodAffinity:
    'requiredDuringSchedulingIgnoredDuringExecution:[]PodAffinityTerm preferredDuringSchedulingIgnoredDuringExecution:[]WeightedPodAffinityTerm',
  PodAffinityTerm:
    'labelSelector:*metav1.LabelSelector namespaces:[]string topologyKey:string! namespaceSelector:*metav1.LabelSelector matchLabelKeys:[]string mismatchLabelKeys:[]string',
  PodAntiAffinity:
    'requiredDuringSchedulingIgnoredDuringExecution:[]PodAffinityTerm preferredDuringSchedulingIgnoredDuringExecution:[]WeightedPodAffinityTerm',
  PodCertificateProjection:
    'signerName:string keyType:string maxExpirationSeconds:*int credentialBundlePath:string keyPath:string certificateChainPath:string userAnnotations:map:string user:*int',
  PodDNSConfig: 'nameservers:[]string searches:[]string options:[]PodDNSConfigOption',
  PodDNSConfigOption: 'name:string value:*string',
  PodOS: 'name:string!',
  PodReadinessGate: 'conditionType:string!',
  PodResourceClaim: 'name:string! resourceClaimName:*string resourceClaimTemplateName:*string',
  PodSchedulingGate: 'name:string!',
  PodSchedulingGroup: 'podGroupName:*string',
  PodSecurityContext:
    'seLinuxOptions:*SELinuxOptions windowsOptions:*WindowsSecurityContextOptions runAsUser:*int runAsGroup:*int runAsNonRoot:*bool supplementalGroups:[]int supplementalGroupsPolicy:*string fsGroup:*int sysctls:[]Sysctl fsGroupChangePolicy:*string seccompProfile:*SeccompProfile appArmorProfile:*AppArmorProfile seLinuxChangePolicy:*string',
  PodSpec:
    'volumes:[]Volume initContainers:[]Container containers:[]Container! ephemeralContainers:[]EphemeralContainer restartPolicy:string terminationGracePeriodSeconds:*int activeDeadlineSeconds:*int dnsPolicy:string nodeSelector:map:string serviceAccountName:string serviceAccount:string automountServiceAccountToken:*bool nodeName:string hostNetwork:bool hostPID:bool hostIPC:bool shareProcessNamespace:*bool securityContext:*PodSecurityContext imagePullSecrets:[]LocalObjectReference hostname:string subdomain:string affinity:*Affinity schedulerName:string tolerations:[]Toleration hostAliases:[]HostAlias priorityClassName:string priority:*int dnsConfig:*PodDNSConfig readinessGates:[]PodReadinessGate runtimeClassName:*string enableServiceLinks:*bool preemptionPolicy:*string overhead:map:Quantity topologySpreadConstraints:[]TopologySpreadConstraint setHostnameAsFQDN:*bool os:*PodOS hostUsers:*bool schedulingGates:[]PodSchedulingGate resourceClaims:[]PodResourceClaim resources:*ResourceRequirements hostnameOverride:*string schedulingGroup:*PodSchedulingGroup evictionResponders:[]EvictionResponder',
  PodTemplateSpec: 'metadata:metav1.ObjectMeta spec:PodSpec',
  PortworxVolumeSource: 'volumeID:string! fsType:string readOnly:bool',
  PreferredSchedulingTerm: 'weight:int! preference:NodeSelectorTerm!',
  Probe:
    '...ProbeHandler initialDelaySeconds:int timeoutSeconds:int periodSeconds:int successThreshold:int failureThreshold:int terminationGracePeriodSeconds:*int',
  ProbeHandler: 'exec:*ExecAction httpGet:*HTTPGetAction tcpSocket:*TCPSocketAction grpc:*GRPCAction',
  ProjectedVolumeSource: 'sources:[]VolumeProjection! defaultMode:*int defaultUser:*int',
  QuobyteVolumeSource: 'registry:string! volume:string! readOnly:bool user:string group:string tenant:string',
  RBDVolumeSource:
    'monitors:[]string! image:string! fsType:string pool:string user:string keyring:string secretRef:*LocalObjectReference readOnly:bool',
  ResourceClaim: 'name:string! request:string',
  ResourceFieldSelector: 'containerName:string resource:string! divisor:Quantity',
  ResourceRequirements: 'limits:map:Quantity requests:map:Quantity claims:[]ResourceClaim',
  SELinuxOptions: 'user:string role:string type:string level:string',
  ScaleIOVolumeSource:
    'gateway:string! system:string! secretRef:*LocalObjectReference! sslEnabled:bool protectionDomain:string storagePool:string storageMode:string volumeName:string fsType:string readOnly:bool',
  SeccompProfile: 'type:string! localhostProfile:*string',
  SecretEnvSource: '...LocalObjectReference optional:*bool',
  SecretKeySelector: '...LocalObjectReference key:string! optional:*bool',
  SecretProjection: '...LocalObjectReference items:[]KeyToPath optional:*bool',
  SecretVolumeSource: 'secretName:string items:[]KeyToPath defaultMode:*int optional:*bool defaultUser:*int',
  SecurityContext:
    'capabilities:*Capabilities privileged:*bool seLinuxOptions:*SELinuxOptions windowsOptions:*WindowsSecurityContextOptions runAsUser:*int runAsGroup:*int runAsNonRoot:*bool readOnlyRootFilesystem:*bool allowPrivilegeEscalation:*bool procMount:*string seccompProfile:*SeccompProfile appArmorProfile:*AppArmorProfile',
  ServiceAccountTokenProjection: 'audience:string expirationSeconds:*int path:string! user:*int',
  SleepAction: 'seconds:int!',
  StorageOSVolumeSource:
    'volumeName:string volumeNamespace:string fsType:string readOnly:bool secretRef:*LocalObjectReference',
  Sysctl: 'name:string! value:string!',
  TCPSocketAction: 'port:IntOrString! host:string',
  Toleration: 'key:string operator:string value:string effect:string tolerationSeconds:*int',
  TopologySpreadConstraint:
    'maxSkew:int! topologyKey:string! whenUnsatisfiable:string! labelSelector:*metav1.LabelSelector minDomains:*int nodeAffinityPolicy:*string nodeTaintsPolicy:*string matchLabelKeys:[]string',
  TypedLocalObjectReference: 'apiGroup:*string! kind:string! name:string!',
  TypedObjectReference: 'apiGroup:*string! kind:string! name:string! namespace:*string',
  Volume: 'name:string! ...VolumeSource',
  VolumeDevice: 'name:string! devicePath:string!',
  VolumeMount:
    'name:string! readOnly:bool recursiveReadOnly:*string mountPath:string! subPath:string mountPropagation:*string subPathExpr:string bindMountOptions:[]string',
  VolumeProjection:
    'secret:*SecretProjection downwardAPI:*DownwardAPIProjection configMap:*ConfigMapProjection serviceAccountToken:*ServiceAccountTokenProjection clusterTrustBundle:*ClusterTrustBundleProjection podCertificate:*PodCertificateProjection',
  VolumeResourceRequirements: 'limits:map:Quantity requests:map:Quantity',
  VolumeSource:
    'hostPath:*HostPathVolumeSource emptyDir:*EmptyDirVolumeSource gcePersistentDisk:*GCEPersistentDiskVolumeSource awsElasticBlockStore:*AWSElasticBlockStoreVolumeSource gitRepo:*GitRepoVolumeSource secret:*SecretVolumeSource nfs:*NFSVolumeSource iscsi:*ISCSIVolumeSource glusterfs:*GlusterfsVolumeSource persistentVolumeClaim:*PersistentVolumeClaimVolumeSource rbd:*RBDVolumeSource flexVolume:*FlexVolumeSource cinder:*CinderVolumeSource cephfs:*CephFSVolumeSource flocker:*FlockerVolumeSource downwardAPI:*DownwardAPIVolumeSource fc:*FCVolumeSource azureFile:*AzureFileVolumeSource configMap:*ConfigMapVolumeSource vsphereVolume:*VsphereVirtualDiskVolumeSource quobyte:*QuobyteVolumeSource azureDisk:*AzureDiskVolumeSource photonPersistentDisk:*PhotonPersistentDiskVolumeSource projected:*ProjectedVolumeSource portworxVolume:*PortworxVolumeSource scaleIO:*ScaleIOVolumeSource storageos:*StorageOSVolumeSource csi:*CSIVolumeSource ephemeral:*EphemeralVolumeSource image:*ImageVolumeSource',
  VsphereVirtualDiskVolumeSource:
    'volumePath:string! fsType:string storagePolicyName:string storagePolicyID:string',
  WeightedPodAffinityTerm: 'weight:int! podAffinityTerm:PodAffinityTerm!',
  WindowsSecurityContextOptions:
    'gmsaCredentialSpecName:*string gmsaCredentialSpec:*string runAsUserName:*string hostProcess:*bool',
  'metav1.LabelSelector': 'matchLabels:map:string matchExpressions:[]metav1.LabelSelectorRequirement',
  'metav1.LabelSelectorRequirement': 'key:string! operator:string! values:[]string',
  'metav1.ObjectMeta':
    'name:string generateName:string namespace:string labels:map:string annotations:map:string',
};

/** The Go type of one field, as {@link POD_TEMPLATE_FIELDS} writes it. */
export interface GoFieldType {
  /** A struct name of {@link POD_TEMPLATE_FIELDS}, or `string`, `int`, `bool`, `Quantity`, `IntOrString`. */
  base: string;
  pointer: boolean;
  list: boolean;
  map: boolean;
  /** Written even when empty (no `omitempty`). */
  always: boolean;
}

/** One field of a struct: its JSON name and Go type. */
export interface GoField {
  json: string;
  type: GoFieldType;
}

const parsed = new Map<string, readonly GoField[]>();

/**
 * The fields of struct `name` in Go declaration order (embedded structs spliced in), or undefined
 * when `name` is not a struct of {@link POD_TEMPLATE_FIELDS}. Pure (memoised).
 */
export function goFields(name: string): readonly GoField[] | undefined {
  const cached = parsed.get(name);
  if (cached !== undefined) return cached;
  const text = POD_TEMPLATE_FIELDS[name];
  if (text === undefined) return undefined;
  const fields = text.split(' ').flatMap((entry): GoField[] => {
    if (entry.startsWith('...')) return [...(goFields(entry.slice(3)) ?? [])];
    const colon = entry.indexOf(':');
    let rest = entry.slice(colon + 1);
    const always = rest.endsWith('!');
    if (always) rest = rest.slice(0, -1);
    const pointer = rest.startsWith('*');
    if (pointer) rest = rest.slice(1);
    const list = rest.startsWith('[]');
    if (list) rest = rest.slice(2);
    const map = rest.startsWith('map:');
    if (map) rest = rest.slice(4);
    return [{ json: entry.slice(0, colon), type: { base: rest, pointer, list, map, always } }];
  });
  parsed.set(name, fields);
  return fields;
}
