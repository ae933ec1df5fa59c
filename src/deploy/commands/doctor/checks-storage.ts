/** `doctor`'s data volume check: the DATA_DIR PersistentVolumeClaim exists and is Bound. */
import type { KubeClients } from '../../kube/client.js';
import { getPersistentVolumeClaim } from '../../kube/resources/core.js';
import { errText, failureStatus } from './failure.js';
import type { DoctorCheck } from './types.js';

export async function checkPvc(kube: KubeClients, ns: string, name: string): Promise<DoctorCheck> {
  const check = 'data volume claim';
  try {
    const pvc = await getPersistentVolumeClaim(kube, ns, name);
    const phase = pvc?.status?.phase ?? 'Pending';
    const modes = (pvc?.status?.accessModes ?? pvc?.spec?.accessModes ?? []).join(',');
    const size = pvc?.status?.capacity?.storage ?? pvc?.spec?.resources?.requests?.storage ?? '?';
    const desc = `PersistentVolumeClaim ${name} (DATA_DIR) is ${phase}: ${size}, ${modes || 'no access modes'}, class ${pvc?.spec?.storageClassName ?? '(default)'}`;
    if (phase === 'Bound')
      return { name: check, status: 'pass', evidence: `${desc}, volume ${pvc?.spec?.volumeName ?? '?'}` };
    return {
      name: check,
      status: 'fail',
      evidence: desc,
      fix: `The artifacts have no volume: \`kubectl describe pvc ${name} -n ${ns}\` shows why (a storage class that provides ReadWriteMany volumes must exist; see storage.storageClassName in the environment file).`,
    };
  } catch (err) {
    const code = failureStatus(err);
    if (code === 404) {
      return {
        name: check,
        status: 'fail',
        evidence: `PersistentVolumeClaim ${name} does not exist in ${ns}`,
        fix: `Deploy with -e <env> (it applies the claim), or create ${name}.`,
      };
    }
    if (code === 403)
      return {
        name: check,
        status: 'warn',
        evidence: `cannot read PersistentVolumeClaim ${name}: ${errText(err)}`,
        fix: 'Grant get on persistentvolumeclaims (the deployer Role has it).',
      };
    throw err;
  }
}
