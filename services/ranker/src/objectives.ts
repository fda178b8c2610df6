import { rankerv1 } from '@feedmesh/contracts';
import type { ObjectiveName } from '@feedmesh/models';

const { Objective } = rankerv1;

const TO_PROTO: Readonly<Record<ObjectiveName, rankerv1.Objective>> = {
  like: Objective.OBJECTIVE_LIKE,
  reblog: Objective.OBJECTIVE_REBLOG,
  reply: Objective.OBJECTIVE_REPLY,
  follow: Objective.OBJECTIVE_FOLLOW,
  hide: Objective.OBJECTIVE_HIDE,
};

const FROM_PROTO = new Map<rankerv1.Objective, ObjectiveName>(
  (Object.entries(TO_PROTO) as [ObjectiveName, rankerv1.Objective][]).map(([name, value]) => [
    value,
    name,
  ]),
);

export function objectiveToProto(name: ObjectiveName): rankerv1.Objective {
  return TO_PROTO[name];
}

/** Undefined for UNSPECIFIED and values this build does not know. */
export function objectiveFromProto(value: rankerv1.Objective): ObjectiveName | undefined {
  return FROM_PROTO.get(value);
}
