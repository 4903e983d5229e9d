use super::*;
use crate::import::read::text;
use crate::import::records::records;

fn planned(file: &str, existing: &Existing) -> Plan {
    plan(
        &records(&[text(file.as_bytes()).unwrap()]).unwrap(),
        existing,
        None,
    )
}

fn known() -> Existing {
    Existing {
        locations: ["FRA1".to_owned()].into(),
        vlans: [("FRA1".to_owned(), 102)].into(),
        ..Existing::default()
    }
}

fn cidrs(nodes: &[NewSubnet]) -> Vec<String> {
    nodes.iter().map(|n| n.cidr.to_string()).collect()
}

#[test]
fn a_block_and_a_subnet_inside_it_become_a_tree_of_halves() {
    let plan = planned(
        "subnet,customer,location,vlan\n10.0.0.0/24,,FRA1,102\n10.0.0.64/26,Acme,,\n",
        &known(),
    );
    assert_eq!(plan.problems, []);
    assert_eq!(
        cidrs(&plan.subnets),
        [
            "10.0.0.0/24",
            "10.0.0.0/25",
            "10.0.0.0/26",
            "10.0.0.64/26",
            "10.0.0.128/25"
        ]
    );
    let acme = &plan.subnets[3];
    assert_eq!(acme.meaning.status, Some(Status::Allocated));
    assert_eq!(acme.parent, Some("10.0.0.0/25".parse().unwrap()));
    // Location and VLAN are inherited down the tree.
    assert_eq!(acme.effective_location.as_deref(), Some("FRA1"));
    assert_eq!(acme.effective_vlan, Some(("FRA1".to_owned(), 102)));
    assert!(plan.subnets[0].subdivided && plan.subnets[1].subdivided);
    assert!(!plan.subnets[4].subdivided && plan.subnets[4].meaning == Meaning::default());
    assert_eq!(plan.customers, ["Acme".to_owned()].into());
}

#[test]
fn addresses_make_their_subnet_a_pool() {
    let plan = planned(
        "cidr,ip,rdns\n10.0.0.0/29,,\n,10.0.0.2,gw.example.net.\n,10.0.1.2,db.example.net\n",
        &known(),
    );
    assert!(plan.subnets[0].meaning.pool);
    assert_eq!(plan.ips.len(), 1);
    assert_eq!(plan.ips[0].meaning.rdns.as_deref(), Some("gw.example.net"));
    assert_eq!(plan.problems.len(), 1);
    assert!(
        plan.problems[0]
            .message
            .contains("10.0.1.2 is outside every subnet")
    );
    assert_eq!(plan.problems[0].at.row, 4);
}

#[test]
fn every_conflict_is_listed_with_its_row() {
    let plan = planned(
        "subnet,customer,location,vlan\n\
         10.0.0.0/24,Acme,FRA1,\n\
         10.0.0.0/26,Globex,,\n\
         10.0.0.0/24,Acme,FRA1,\n\
         10.1.0.0/24,,FRA1,999\n\
         10.2.0.0/24,,AMS9,\n",
        &known(),
    );
    let messages: Vec<(usize, &str)> = plan
        .problems
        .iter()
        .map(|p| (p.at.row, p.message.as_str()))
        .collect();
    assert_eq!(messages.len(), 4, "{messages:?}");
    assert!(
        messages[0]
            .1
            .contains("overlaps 10.0.0.0/24, held for \"Acme\" (on row 2)")
    );
    assert!(messages[1].1.contains("on row 2 already (a duplicate)"));
    assert!(messages[2].1.contains("unknown VLAN 999 at FRA1"));
    assert!(messages[3].1.contains("unknown location \"AMS9\""));
}

#[test]
fn what_the_database_holds_already_is_left_alone() {
    let file = "subnet,customer\n10.0.0.0/24,\n10.0.0.0/25,Acme\n";
    let first = planned(file, &known());
    let mut existing = known();
    for node in &first.subnets {
        existing.subnets.insert(
            node.cidr,
            ExistingSubnet {
                meaning: node.meaning.clone(),
                subdivided: node.subdivided,
                ..ExistingSubnet::default()
            },
        );
    }
    let again = planned(file, &existing);
    assert_eq!((again.subnets.len(), again.unchanged), (0, 2));
    assert_eq!(again.problems, []);
    // A block inside the free half is carved from it; one inside Acme's is refused.
    let more = planned("subnet\n10.0.0.128/26\n10.0.0.0/26\n", &existing);
    assert_eq!(cidrs(&more.subnets), ["10.0.0.128/26", "10.0.0.192/26"]);
    assert_eq!(more.subdivide, ["10.0.0.128/25".parse::<IpNet>().unwrap()]);
    assert_eq!(more.problems.len(), 1);
    assert!(
        more.problems[0]
            .message
            .contains("inside 10.0.0.0/25, which carve holds")
    );
}
