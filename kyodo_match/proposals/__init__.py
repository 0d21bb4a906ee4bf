"""Citizen proposals (事業提案制度, IV-3-(2)): proposed by volunteers and verified groups, routed, decided."""
