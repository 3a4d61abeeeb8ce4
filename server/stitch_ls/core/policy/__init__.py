"""The policy: the team file in force, editor settings, quiet hours, the trust budget and the engineer's switches."""
